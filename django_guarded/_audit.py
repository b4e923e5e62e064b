"""Writing audit records for transitions and operations.

A record is written inside the transaction of the call it describes, after the
object's row was saved: it commits with the change or rolls back with it. Per
object, records are therefore written in the order their changes committed
(the row lock the UPDATE takes orders them), which is what ``id`` order shows.

On PostgreSQL the record of a model method is inserted by the same statement as
the object's ``UPDATE`` when it can be (`update_with_record`); otherwise it is
saved as a statement of its own (`save_record`).
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps as django_apps
from django.db import connections, models, router
from django.db.models.signals import post_save, pre_save

from django_guarded import _guard
from django_guarded.conf import guarded_settings

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from django_guarded._transitions import MethodInfo

__all__ = [
    "AuditData",
    "RecordValues",
    "accepts_asof",
    "actor_fields",
    "insert_into",
    "instance_record",
    "is_audited",
    "new_record",
    "note_creation",
    "record",
    "record_deletion",
    "resolve_asof",
    "save_record",
    "state_text",
    "update_with_record",
    "writes_with_update",
]

#: What ``audit=`` returns: a JSON-serialisable mapping (``DjangoJSONEncoder``:
#: ``Decimal``, ``datetime``, ``UUID`` are fine).
AuditData = Mapping[str, Any]
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


def accepts_asof(func: Callable[..., Any]) -> bool:
    """Whether ``func`` declares a parameter named ``asof`` (the seed's injected time)."""
    return "asof" in inspect.signature(func).parameters


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
    from django_guarded.models import model_label

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
    from django_guarded.models import AuditRecord

    with _guard.enter(_guard.Frame(AuditRecord)):
        AuditRecord(**values).save(using=using)


def record(model: type[models.Model], object_pk: Any, *, using: str, **details: Any) -> None:
    """Insert one audit record on database ``using`` (inside the caller's transaction)."""
    save_record(new_record(model, object_pk, **details), using)


def record_deletion(instance: models.Model, call: _guard.CallInfo) -> None:
    """Record that the running ``call`` deletes ``instance``'s row (inside its transaction).

    ``guarded_verify`` then knows the row is gone on purpose: an object whose records
    exist but whose row is gone without one is a problem it reports.
    """
    using = instance._state.db or router.db_for_write(type(instance), instance=instance)
    record(
        type(instance),
        instance.pk,
        kind="deletion",
        method=call.method,
        using=using,
        by=call.by,
        asof=call.asof,
    )


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
    """``(index in the snapshot, attname, name)`` of ``model``'s FSM state fields."""
    found = _STATE_INDEXES.get(model)
    if found is None:
        import django_fsm

        states = {
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, django_fsm.FSMFieldMixin)
        }
        tracked = getattr(model, "_guarded_tracked", ())
        found = tuple(
            (index, attname, name)
            for index, (attname, name) in enumerate(tracked)
            if attname in states
        )
        _STATE_INDEXES[model] = found
    return found


def instance_record(
    info: MethodInfo,
    instance: models.Model,
    *,
    object_pk: Any,
    before: list[Any],
    state: tuple[str, Any, Any] | None,
    by: Any,
    asof: datetime.datetime | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> RecordValues:
    """The record of a successful call of a model method, once its body has run.

    ``state`` is ``(field name, source, target)`` for a transition; for an
    operation, the first state field it changed (if any) is recorded instead.
    """
    model = type(instance)
    if state is None:
        data = instance.__dict__
        for index, attname, name in _state_indexes(model):
            old, new = before[index], data.get(attname)
            if old != new:
                state = (name, old, new)
                break
    field, source, target = state if state is not None else ("", None, None)
    return new_record(
        model,
        instance.pk if instance.pk is not None else object_pk,
        kind=info.kind,
        method=info.func.__name__,
        by=by,
        asof=asof,
        field=field,
        source=source,
        target=target,
        data=call_data(info, instance, args, kwargs),
    )


def writes_with_update(connection: BaseDatabaseWrapper) -> bool:
    """Whether a record can be written by the statement that updates its object's row.

    PostgreSQL runs an ``UPDATE`` inside a ``WITH`` clause and inserts what it
    returned, in one statement (one round trip less while the row is locked).
    MySQL, MariaDB and SQLite have no data-modifying ``WITH``: there the record is
    a statement of its own, and so it is anywhere when something listens to the
    record's ``pre_save`` or ``post_save`` signal, which only ``save()`` sends.
    """
    if connection.vendor != "postgresql":
        return False
    from django_guarded.models import AuditRecord

    return not (pre_save.has_listeners(AuditRecord) or post_save.has_listeners(AuditRecord))


def insert_into(connection: BaseDatabaseWrapper) -> tuple[str, list[models.Field[Any, Any]]]:
    """``INSERT INTO <audit table> (<columns>)`` for ``connection``, and the fields of
    those columns in order: every field of a record but its ``id``."""
    from django_guarded.models import AuditRecord

    quote = connection.ops.quote_name
    fields = [f for f in AuditRecord._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    return f"INSERT INTO {quote(AuditRecord._meta.db_table)} ({columns})", fields


_INSERTS: dict[type[BaseDatabaseWrapper], tuple[str, tuple[tuple[str, Any], ...]]] = {}


def _insert_from_updated(
    connection: BaseDatabaseWrapper,
) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The ``INSERT ... SELECT`` of a record from the updated rows, and for each of its
    parameters in order, the field's name and its field if the value needs preparing
    for the database (text does not); built once per database backend."""
    found = _INSERTS.get(type(connection))
    if found is None:
        insert, fields = insert_into(connection)
        # Each value cast to its column's type: the statement is right whether the
        # driver binds parameters on the client or on the server.
        select = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
        sql = f"{insert} SELECT {select} FROM django_guarded_updated"
        params = tuple((f.name, None if isinstance(f, models.CharField) else f) for f in fields)
        found = _INSERTS[type(connection)] = (sql, params)
    return found


def update_with_record(
    queryset: models.QuerySet[Any],
    values: list[tuple[models.Field[Any, Any], Any, Any]],
    entry: RecordValues,
    using: str,
) -> int | None:
    """Run the ``UPDATE`` of ``Model.save()`` and insert ``entry`` in the same statement.

    ``queryset`` selects the row (Django's ``base_qs.filter(pk=...)``) and
    ``values`` are the ``(field, model, value)`` triples ``save()`` computed. The
    record is inserted once per updated row, so a row that is gone (or, for an
    optimistic save, changed) updates nothing and records nothing. Returns the
    number of rows updated, or ``None`` when the update cannot be written this way
    (it touches more than one table): the caller then runs its own statements.
    """
    from django.db.models.sql import UpdateQuery

    connection = connections[using]
    query = cast("UpdateQuery", queryset.query.chain(UpdateQuery))
    query.add_update_fields(values)
    query.annotations = {}
    if query.get_related_updates():
        return None
    update_sql, update_params = query.get_compiler(using).as_sql()
    if not update_sql:
        return None
    insert_sql, fields = _insert_from_updated(connection)
    params = [
        entry[name] if field is None else field.get_db_prep_save(entry[name], connection)
        for name, field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH django_guarded_updated AS ({update_sql} RETURNING 1) {insert_sql}",
            (*update_params, *params),
        )
        return int(cursor.rowcount)


#: Key in a new instance's ``__dict__``: the frame of the manager operation that
#: inserted it, and its first state field's (name, value) then.
_CREATED = "_guarded_created"


def note_creation(instance: models.Model, frame: _guard.Frame) -> None:
    """Remember that the manager operation of ``frame`` inserted ``instance``, and the
    state it was inserted in, for the record of that operation."""
    states = _state_indexes(type(instance))
    state = None
    if states:
        _, attname, name = states[0]
        state = (name, instance.__dict__.get(attname))
    instance.__dict__[_CREATED] = (frame, state)


def after_manager_call(
    info: MethodInfo,
    owner: Any,
    result: Any,
    *,
    by: Any,
    asof: datetime.datetime | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    using: str,
) -> None:
    """Record a successful manager or queryset operation, inside its transaction.

    The record names the object the operation returned, if it returned one of the
    model's objects (``Account.objects.open(...)``); otherwise its ``object_pk``
    is empty.
    """
    model = owner.model
    returned = (
        isinstance(result, models.Model)
        and result._meta.concrete_model is model._meta.concrete_model
    )
    created = result.__dict__.pop(_CREATED, None) if returned else None
    details: dict[str, Any] = {"kind": info.kind}
    if created is not None and created[0] is _guard.current_frame():
        # The record of the object's creation: the state it started in, so that
        # guarded_verify can check the first move of every state field.
        details["kind"] = "creation"
        if created[1] is not None:
            details.update(field=created[1][0], source=None, target=created[1][1])
    record(
        model,
        result.pk if returned else None,
        method=info.func.__name__,
        using=using,
        by=by,
        asof=asof,
        data=call_data(info, owner, args, kwargs),
        **details,
    )


def after_error_state(
    info: MethodInfo,
    instance: models.Model,
    target: Any,
    *,
    object_pk: Any,
    field: str,
    source: Any,
    error: BaseException,
    by: Any,
    asof: datetime.datetime | None,
    using: str,
) -> None:
    """Record the ``on_error`` state a failed transition left, in the transaction saving it.

    The call failed, so its declared data is not computed; the record's data says
    what went wrong instead.
    """
    record(
        type(instance),
        instance.pk if instance.pk is not None else object_pk,
        kind=info.kind,
        method=info.func.__name__,
        using=using,
        by=by,
        asof=asof,
        field=field,
        source=source,
        target=target,
        data={"error": f"{type(error).__name__}: {error}"[:1000]},
    )
