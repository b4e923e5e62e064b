"""Optimistic concurrency: conditional UPDATEs, the version column, and retrying.

Pessimistic locking (``lock=True``) lives in the call engine (``_engine/call.py``): it re-reads the
row with ``SELECT ... FOR UPDATE`` before the method body runs. The optimistic
mode never waits for a lock: the UPDATE that saves the method's changes only
matches the row if it still holds what the instance was loaded with, either its
`VersionField` or, for a model with ``guarded_optimistic = True`` and no
version column, its state fields. A lost race matches no row, and raises
`ConcurrentTransition` inside the method's transaction, so
nothing of the call is written.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from django.db import models

from django_guarded._core import permission as _permission
from django_guarded._core.fsm import is_state_field
from django_guarded._orm.fields import GUARDED_ATTR, public_path
from django_guarded.exceptions import ConcurrentTransition

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["VersionField", "conditional_update", "has_condition", "retrying"]

P = ParamSpec("P")
R = TypeVar("R")


if TYPE_CHECKING:
    _IntegerField = models.PositiveBigIntegerField[int, int]
else:
    _IntegerField = models.PositiveBigIntegerField


class VersionField(_IntegerField):
    """A version number that makes every save of the row conditional on it.

    Each UPDATE of a guarded model with a ``VersionField`` runs
    ``... SET version = N + 1 WHERE pk = ... AND version = N``, where ``N`` is the
    version the instance was loaded with. When another transaction saved the row
    in between, no row matches and `ConcurrentTransition`
    is raised. The field is guarded: only the model's own methods may change it,
    and django-guarded does so itself.
    """

    description = "Optimistic-locking version number"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", 0)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)
        setattr(self, GUARDED_ATTR, True)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        path = public_path(path)
        if kwargs.get("default") == 0:
            kwargs.pop("default")
        if kwargs.get("editable") is False:
            kwargs.pop("editable")
        return name, path, args, kwargs


_CONDITIONS: dict[type[models.Model], tuple[models.Field[Any, Any], ...]] = {}


def _condition_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    """The fields an optimistic UPDATE of ``model`` is conditional on (cached)."""
    fields = _CONDITIONS.get(model)
    if fields is None:
        concrete = model._meta.concrete_fields
        fields = tuple(f for f in concrete if isinstance(f, VersionField))
        if not fields and getattr(model, "guarded_optimistic", False):
            fields = tuple(f for f in concrete if is_state_field(f))
        _CONDITIONS[model] = fields
    return fields


def has_condition(model: type[models.Model]) -> bool:
    """Whether saves of ``model`` are optimistic (conditional UPDATEs)."""
    return bool(_condition_fields(model))


def _loaded_value(instance: models.Model, field: models.Field[Any, Any]) -> Any:
    """The value of ``field`` as last read from or written to the database."""
    permission = _permission.current()
    call = permission.call_of(instance) if permission is not None else None
    if call is not None and call.baseline is not None:
        tracked = type(instance)._guarded_tracked  # type: ignore[attr-defined]
        for index, (attname, _) in enumerate(tracked):
            if attname == field.attname:
                return call.baseline[index]
    return instance.__dict__.get(field.attname)


def conditional_update(
    instance: models.Model,
    base_qs: models.QuerySet[Any],
    using: str | None,
    pk_val: Any,
    values: Sequence[tuple[models.Field[Any, Any], Any, Any]],
    update: Callable[[models.QuerySet[Any], list[tuple[models.Field[Any, Any], Any, Any]]], Any],
) -> Any:
    """Run ``Model._do_update`` for ``instance``, conditional on its loaded version or state.

    ``update(base_qs, values)`` is Django's own ``_do_update`` with the other
    arguments bound. Models without a condition field pass straight through.
    """
    fields = [f for f in _condition_fields(type(instance)) if f.model is base_qs.model]
    if not fields:
        return update(base_qs, list(values))
    expected = {f.attname: _loaded_value(instance, f) for f in fields}
    new_values = list(values)
    bumped: dict[str, int] = {}
    for field in fields:
        if isinstance(field, VersionField):
            version = expected[field.attname] or 0
            new_values = [v for v in new_values if v[0] is not field]
            new_values.append((field, None, version + 1))
            bumped[field.attname] = version + 1
    updated = update(base_qs.filter(**expected), new_values)
    if updated:
        instance.__dict__.update(bumped)
        return updated
    if base_qs.filter(pk=pk_val).exists():
        model = type(instance)
        loaded = ", ".join(f"{name}={value!r}" for name, value in expected.items())
        raise ConcurrentTransition(
            f"{model.__name__} pk={pk_val!r} was changed by another transaction since it was "
            f"loaded ({loaded}): nothing was written. Reload it with refresh_from_db() and "
            "call the method again, or wrap the call in django_guarded.retrying()."
        )
    return updated


@overload
def retrying(
    func: Callable[P, R], /, *, attempts: int = ..., backoff: float = ...
) -> Callable[P, R]: ...
@overload
def retrying(
    *, attempts: int = ..., backoff: float = ...
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def retrying(
    func: Callable[P, R] | None = None, /, *, attempts: int = 3, backoff: float = 0.01
) -> Any:
    """Call ``func`` again when it loses a race (`ConcurrentTransition`).

    ``retrying(account.withdraw)(amount)`` refreshes ``account`` from the database
    before each new attempt, since a bound method of a model instance would
    otherwise retry with the same stale values. Any other callable is simply called
    again, so it should load what it needs itself:

        @retrying(attempts=5)
        def pay(invoice_id):
            Invoice.objects.get(pk=invoice_id).pay()

    ``attempts`` counts every call, the first included; the last
    ``ConcurrentTransition`` is re-raised. Between attempts it sleeps a random
    time of up to ``backoff * 2**attempt`` seconds, so that the losers of one race
    do not meet again. Retrying inside an enclosing ``transaction.atomic()`` works
    under READ COMMITTED (Django's default on PostgreSQL and MariaDB/MySQL); under
    REPEATABLE READ or SERIALIZABLE the re-read sees the old snapshot, so retry the
    whole transaction instead.
    """
    if attempts < 1:
        raise ValueError(f"retrying(attempts={attempts}): attempts counts every call, so >= 1")

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        owner = getattr(func, "__self__", None)
        instance = owner if isinstance(owner, models.Model) else None

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            for attempt in range(attempts):
                if attempt and instance is not None:
                    instance.refresh_from_db()
                try:
                    return func(*args, **kwargs)
                except ConcurrentTransition:
                    if attempt + 1 == attempts:
                        raise
                    if backoff > 0:
                        time.sleep(random.uniform(0, backoff * 2**attempt))
            raise AssertionError("unreachable")  # pragma: no cover

        call.__name__ = getattr(func, "__name__", "call")
        call.__qualname__ = getattr(func, "__qualname__", call.__name__)
        call.__doc__ = func.__doc__
        call.__wrapped__ = func  # type: ignore[attr-defined]
        return call

    if func is not None:
        return decorate(func)
    return decorate
