"""Managers and querysets whose writes only the model's own code may run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models
from django.db.models import sql
from django.db.models.manager import BaseManager

from django_guarded._core import messages as _messages
from django_guarded._core.methods import method_info
from django_guarded._core.permission import may_write_model, may_write_table
from django_guarded.exceptions import BulkTransitionError, DirectSaveError

if TYPE_CHECKING:
    import datetime
    from collections.abc import Iterable, Mapping

__all__ = ["GuardedManager", "GuardedQuerySet"]

_M = TypeVar("_M", bound=models.Model, covariant=True)


class _GuardedQuery(sql.Query):
    """The query of a guarded queryset: turning it into an ``UPDATE`` is checked here.

    ``QuerySet.update()`` and ``QuerySet._update()`` both make their statement with
    ``query.chain(UpdateQuery)``, also when they are called unbound on a guarded
    queryset (``models.QuerySet.update(qs, ...)``), which skips the methods below.
    """

    def chain(self, klass: Any = None) -> Any:
        model = self.model
        if (
            klass is not None
            and model is not None
            and issubclass(klass, sql.UpdateQuery)
            and not may_write_table(model)
        ):
            raise DirectSaveError(_messages.queryset_write(model, "update"))
        return super().chain(klass)


class GuardedQuerySet(models.QuerySet[_M]):
    """A queryset whose writes (``create``, ``update``, ``delete``, bulk writes) run only
    inside an ``@operation`` of the model's manager or queryset, or a method of the model.

    Reading is unrestricted. The ``a``-prefixed async twins are guarded too: Django
    runs them through these methods.
    """

    def __init__(
        self,
        model: type[models.Model] | None = None,
        query: sql.Query | None = None,
        using: str | None = None,
        hints: dict[str, Any] | None = None,
    ) -> None:
        if query is None and model is not None:
            query = _GuardedQuery(model)
        super().__init__(model, query, using, hints)

    def _check_write(self, action: str) -> None:
        if not may_write_model(self.model):
            raise DirectSaveError(_messages.queryset_write(self.model, action))

    def create(self, **kwargs: Any) -> Any:
        self._check_write("create")
        return super().create(**kwargs)

    def get_or_create(self, defaults: Any = None, **kwargs: Any) -> Any:
        self._check_write("get_or_create")
        return super().get_or_create(defaults=defaults, **kwargs)

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[_M, bool]:
        self._check_write("update_or_create")
        return super().update_or_create(
            defaults=defaults, create_defaults=create_defaults, **kwargs
        )

    def update(self, **kwargs: Any) -> int:
        self._check_write("update")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_write("delete")
        return super().delete()

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        self._check_write("bulk_create")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[Any], fields: Any, *args: Any, **kwargs: Any) -> int:
        self._check_write("bulk_update")
        return super().bulk_update(objs, fields, *args, **kwargs)

    def bulk_transition(
        self,
        method: Any,
        *,
        by: Any = None,
        asof: datetime.datetime | None = None,
        values: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> int:
        """Run the transition ``method`` (its name) on every row that may take it.

        One ``UPDATE`` moves the rows whose state is a source of the transition, and
        one ``INSERT ... SELECT`` writes their audit records, in one transaction.
        ``values`` sets other columns too; ``data`` is the records' data. Refused
        for transitions that depend on each object (conditions, object permissions,
        ``on_error``, computed targets, a method body). Returns the number of rows
        moved. Allowed anywhere, like calling the transition itself.
        """
        model = self.model
        attr = getattr(model, method, None) if isinstance(method, str) else method
        info = method_info(attr)
        if info is None or info.run_bulk is None:
            raise BulkTransitionError(_messages.not_a_transition(model, method))
        return info.run_bulk(self, info, by=by, asof=asof, values=values, data=data)

    update.alters_data = True  # type: ignore[attr-defined]
    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]
    bulk_transition.alters_data = True  # type: ignore[attr-defined]


class GuardedManager(BaseManager.from_queryset(GuardedQuerySet), Generic[_M]):  # type: ignore[misc]
    """The manager of a `GuardedModel`.

    Subclass it and add ``@operation`` methods: they are the only way to create rows
    (``Model.objects.create()`` and friends raise ``DirectSaveError`` elsewhere).
    """
