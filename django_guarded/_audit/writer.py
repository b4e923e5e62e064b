"""Writing audit records for transitions and operations.

A record is written inside the transaction of the call it describes, after the
object's row was saved: it commits with the change or rolls back with it. Per
object, records are therefore written in the order their changes committed
(the row lock the UPDATE takes orders them), which is what ``id`` order shows.

This module builds a record's values and saves them as a statement of their own;
on PostgreSQL the record of a model method is usually written by the statement
that updates the object's row instead (`django_guarded._audit.fused`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.db import models

from django_guarded._core import permission as _permission
from django_guarded._core.fsm import is_state_field
from django_guarded._core.labels import model_label
from django_guarded.conf import guarded_settings

if TYPE_CHECKING:
    from django_guarded._core.methods import AuditData, MethodInfo

__all__ = [
    "RecordValues",
    "actor_fields",
    "call_data",
    "first_state",
    "is_audited",
    "new_record",
    "resolve_asof",
    "save_record",
    "state_move",
    "state_text",
]

#: An audit record not written yet: ``AuditRecord`` field names and their values.
RecordValues = dict[str, Any]

_TEXT = 255


def is_audited(model: type[models.Model]) -> bool:
    """Whether calls on ``model`` write audit records.

    They do when the ``django_guarded`` app is installed (it owns the table), the
    ``AUDIT`` setting is on, and the model did not opt out with
    ``guarded_audit = False``.
    """
    return (
        getattr(model, "guarded_audit", True)
        and "django_guarded" in django_apps.app_configs
        and guarded_settings.AUDIT
    )


def resolve_asof(info: MethodInfo, kwargs: dict[str, Any]) -> datetime.datetime | None:
    """Take the call's ``asof=`` out of ``kwargs`` or pass the clock's time into it.

    A method that declares ``asof`` always receives an aware datetime: the
    caller's, or the clock's when the caller gave none. It is also the time of the
    record, so the method can stamp the object with exactly the time of its record.
    A method that does not declare it never sees it. Returns the time of the call,
    or ``None`` for "ask the clock when the record is written".
    """
    if info.accepts_asof:
        asof = kwargs.get("asof")
        if asof is None:
            asof = kwargs["asof"] = guarded_settings.now()
        return asof
    given: datetime.datetime | None = kwargs.pop("asof", None)
    return given


def actor_fields(by: Any) -> tuple[str, str, str]:
    """``(actor, actor_model, actor_pk)`` for the ``by=`` of a call."""
    if by is None:
        return "", "", ""
    if isinstance(by, models.Model):
        return str(by)[:_TEXT], by._meta.label_lower, str(by.pk)
    return str(by)[:_TEXT], "", ""


def state_text(value: Any) -> str | None:
    """A state as records store it: text (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        value = value.pk
    return str(value)[:_TEXT]


def new_record(
    model: type[models.Model],
    object_pk: Any,
    *,
    kind: str,
    method: str,
    by: Any = None,
    asof: datetime.datetime | None = None,
    field: str = "",
    source: Any = None,
    target: Any = None,
    data: AuditData | None = None,
) -> RecordValues:
    """The field values of an audit record of a call on an object of ``model``."""
    actor, actor_model, actor_pk = actor_fields(by)
    return {
        "created_at": asof if asof is not None else guarded_settings.now(),
        "model": model_label(model),
        "object_pk": "" if object_pk is None else str(object_pk),
        "kind": kind,
        "method": method,
        "field": field,
        "source": state_text(source) if field else None,
        "target": state_text(target) if field else None,
        "actor": actor,
        "actor_model": actor_model,
        "actor_pk": actor_pk,
        "data": dict(data) if data else {},
    }


def save_record(values: RecordValues, using: str) -> None:
    """Insert a record of ``values`` on database ``using`` (in the caller's transaction)."""
    from django_guarded._audit.record import AuditRecord

    with _permission.enter(_permission.Permission(AuditRecord)):
        AuditRecord(**values).save(using=using)


def call_data(
    info: MethodInfo, owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> AuditData | None:
    """The data a method declared with ``audit=``, computed after its body ran."""
    if info.audit is None:
        return None
    data = info.audit(owner, *args, **kwargs)
    if not isinstance(data, Mapping):
        raise TypeError(
            f"audit= of {info.func.__qualname__} returned {data!r}: it must return a mapping "
            'of JSON-serialisable values, such as {"delta": amount}'
        )
    return data


_STATE_INDEXES: dict[type[models.Model], tuple[tuple[int, str, str], ...]] = {}


def _state_indexes(model: type[models.Model]) -> tuple[tuple[int, str, str], ...]:
    """``(index in the snapshot, attname, name)`` of ``model``'s state fields."""
    found = _STATE_INDEXES.get(model)
    if found is None:
        states = {f.attname for f in model._meta.concrete_fields if is_state_field(f)}
        tracked = getattr(model, "_guarded_tracked", ())
        found = tuple(
            (index, attname, name)
            for index, (attname, name) in enumerate(tracked)
            if attname in states
        )
        _STATE_INDEXES[model] = found
    return found


def state_move(instance: models.Model, before: list[Any]) -> tuple[str, Any, Any] | None:
    """``(field, old, new)`` of the first state field ``instance`` moved since ``before``
    (a `snapshot`): what the record of an operation that moved a state holds."""
    data = instance.__dict__
    for index, attname, name in _state_indexes(type(instance)):
        old, new = before[index], data.get(attname)
        if old != new:
            return name, old, new
    return None


def first_state(instance: models.Model) -> tuple[str, Any] | None:
    """``(field, value)`` of ``instance``'s first state field, if it has one: what the
    record of its creation holds."""
    states = _state_indexes(type(instance))
    if not states:
        return None
    _, attname, name = states[0]
    return name, instance.__dict__.get(attname)
