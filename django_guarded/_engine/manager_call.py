"""One call of an ``@operation`` of a manager or a queryset.

It runs with permission to write the model, in one transaction, and writes one
audit record: of the object it returns, if it returns one of the model's objects
(kind ``creation`` when the operation created it, with the state it began in),
else with no object. Rows it deletes are recorded one by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models, router, transaction

from django_guarded._audit import writer
from django_guarded._core import permission as _permission
from django_guarded._engine.rules import take_actor

if TYPE_CHECKING:
    from django_guarded._audit.fused import FusedRecord
    from django_guarded._core.methods import MethodInfo

__all__ = ["ManagerCall"]


class ManagerCall:
    """An operation called on a manager or a queryset of ``owner.model``."""

    __slots__ = ("actor", "args", "asof", "created_states", "info", "kwargs", "model", "owner")

    #: ``ActiveCall``: a manager operation has no instance of its own to save.
    baseline: list[Any] | None = None
    pending: FusedRecord | None = None

    def __init__(
        self, info: MethodInfo, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        if info.lock:
            raise TypeError(
                f"@operation(lock=True) on {info.func.__qualname__}: lock applies to methods "
                "of a model instance; lock rows in the manager method with select_for_update()"
            )
        self.info = info
        self.owner = owner
        self.model: type[models.Model] = owner.model
        self.args = args
        self.kwargs = kwargs
        self.actor = take_actor(info, kwargs)
        self.asof = writer.resolve_asof(info, kwargs)
        #: id() of each instance the call inserted, with the instance and its first state.
        self.created_states: dict[int, tuple[models.Model, tuple[str, Any] | None]] = {}

    def created(self, instance: models.Model) -> None:
        """Remember the state ``instance`` was inserted in, for the record of its creation."""
        self.created_states[id(instance)] = (instance, writer.first_state(instance))

    def deleted(self, instance: models.Model) -> None:
        """Record a row the operation deletes, in the transaction of the delete."""
        if writer.is_audited(type(instance)):
            values = writer.new_record(
                type(instance),
                instance.pk,
                kind="deletion",
                method=self.info.name,
                by=self.actor,
                asof=self.asof,
            )
            writer.save_record(values, self._using())

    def run(self) -> Any:
        """Run the operation with its permission, in a transaction, and record it."""
        model = self.model
        using = self._using()
        permission = _permission.Permission(model._meta.concrete_model, call=self)
        with _permission.enter(permission), transaction.atomic(using=using):
            result = self.info.func(self.owner, *self.args, **self.kwargs)
            if writer.is_audited(model):
                writer.save_record(self._record(result), using)
            return result

    def _using(self) -> str:
        return getattr(self.owner, "_db", None) or router.db_for_write(self.model)

    def _record(self, result: Any) -> writer.RecordValues:
        model = self.model
        returned = (
            isinstance(result, models.Model)
            and result._meta.concrete_model is model._meta.concrete_model
        )
        details: dict[str, Any] = {"kind": self.info.kind}
        created = self.created_states.get(id(result)) if returned else None
        if created is not None and created[0] is result:
            # The record of the object's creation: the state it started in, so that
            # guarded_verify can check the first move of every state field.
            details["kind"] = "creation"
            if created[1] is not None:
                details.update(field=created[1][0], source=None, target=created[1][1])
        return writer.new_record(
            model,
            result.pk if returned else None,
            method=self.info.name,
            by=self.actor,
            asof=self.asof,
            data=writer.call_data(self.info, self.owner, self.args, self.kwargs),
            **details,
        )
