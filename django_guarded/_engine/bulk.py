"""Bulk transitions: move every matching row with one UPDATE and one INSERT of records.

``Account.objects.filter(...).bulk_transition("expire")`` is the set-at-a-time
form of calling ``account.expire()`` on each row: the rows whose state is a valid
source move to the target in one ``UPDATE``, and their audit records are written
by one ``INSERT ... SELECT`` that reads the same rows, locked, first. Both run in
one transaction; if the two statements did not see the same rows (a row moved
into the selection between them), it raises
`ConcurrentTransition` and nothing is written.

Only what can be decided for all rows at once is allowed: no per-instance
conditions, no callable permission, no ``on_error``, a fixed target per source,
and a method body that does nothing (it would not run per row). Extra columns
the transition should set go in ``values=``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router, transaction
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast, Concat, Lower, Substr

from django_guarded._audit import writer
from django_guarded._audit.fused import insert_into
from django_guarded._core import messages as _messages
from django_guarded._core import permission as _permission
from django_guarded._core.fsm import ANY_OTHER_STATE, ANY_STATE, fsm_meta
from django_guarded._core.labels import model_label
from django_guarded._engine.rules import SYSTEM
from django_guarded._orm.fields import is_guarded
from django_guarded.conf import guarded_settings
from django_guarded.exceptions import (
    BulkTransitionError,
    ConcurrentTransition,
    TransitionPermissionDenied,
)

if TYPE_CHECKING:
    from django_fsm import FSMFieldMixin, Transition

    from django_guarded._core.methods import MethodInfo

__all__ = ["bulk_transition"]

_ANY, _ANY_OTHER = ANY_STATE, ANY_OTHER_STATE


def _refusal(label: str, why: str, way_out: str) -> BulkTransitionError:
    return BulkTransitionError(f"{label} cannot run as a bulk transition: {why}. {way_out}")


def _check_values(
    label: str, model: type[models.Model], state: FSMFieldMixin, values: Mapping[str, Any]
) -> None:
    """``values`` may set other columns of the moved rows, never guarded ones.

    The state becomes the transition's target and nothing else; any other guarded
    field is changed only by a method running on each object.
    """
    for name in values:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise BulkTransitionError(
                f"{label} in bulk: values names {name!r}, which is not a field of {model.__name__}"
            ) from None
        if field is state or name in (state.name, state.attname):
            raise _refusal(
                label,
                f"values sets {model.__name__}.{state.name}, its state field, which only "
                "moves to the transition's target",
                f"Leave {state.name} out of values",
            )
        if is_guarded(field):
            raise _refusal(
                label,
                f"values sets {model.__name__}.{name}, which is guarded",
                "Only unguarded fields may be set in bulk; a guarded field is changed by "
                f"calling a method on each object ({model.__name__.lower()}.<method>())",
            )


def _check_transition(label: str, info: MethodInfo, transition: Transition, by: Any) -> None:
    per_object = (
        f"Call it on each object instead ({label.split('.')[0].lower()}.{info.func.__name__}())"
    )
    if transition.conditions:
        names = ", ".join(getattr(c, "__name__", repr(c)) for c in transition.conditions)
        raise _refusal(label, f"its conditions ({names}) are checked per object", per_object)
    if transition.on_error is not None:
        raise _refusal(
            label, f"it declares on_error={transition.on_error!r}, a per-call outcome", per_object
        )
    if transition.target is None or hasattr(transition.target, "get_state"):
        raise _refusal(
            label,
            f"its target {transition.target!r} is decided per object, not a fixed state",
            per_object,
        )
    permission = transition.permission
    if not permission or by is SYSTEM:
        return
    if callable(permission):
        raise _refusal(label, "its permission is a function of each object", per_object)
    if by is None:
        raise TransitionPermissionDenied(
            f"{label} needs permission {permission!r}: pass the acting user as by=user, "
            "or by=django_guarded.SYSTEM for code acting on its own behalf."
        )
    if not by.has_perm(permission):
        raise TransitionPermissionDenied(
            f"{by} may not run {label} in bulk: it needs the global permission {permission!r} "
            "(object permissions cannot be checked for a whole queryset)."
        )


def _pk_text(model: type[models.Model], using: str) -> Any:
    """An SQL expression for the primary key as audit records store it (``str(pk)``)."""
    pk = model._meta.pk
    assert pk is not None
    connection = connections[using]
    if isinstance(pk, models.UUIDField) and not connection.features.has_native_uuid_field:
        # Stored as 32 hex digits: put the dashes of str(uuid) back.
        hexa = Lower(Cast(pk.attname, models.CharField(max_length=32)))
        parts = [
            Substr(hexa, start, length)
            for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        ]
        dashed: list[Any] = []
        for part in parts:
            dashed += [part, Value("-")]
        return Concat(*dashed[:-1], output_field=models.CharField(max_length=36))
    return Cast(pk.attname, models.CharField(max_length=255))


def _state_text(field: FSMFieldMixin) -> Any:
    return Cast(field.attname, models.CharField(max_length=255))


def _moves(field: FSMFieldMixin, transitions: dict[Any, Transition]) -> tuple[Q, Any, Any]:
    """The row filter, the new state and the target text for every valid source."""
    attname = field.attname
    explicit = {s: t.target for s, t in transitions.items() if s not in (_ANY, _ANY_OTHER)}
    fallback = transitions.get(_ANY) or transitions.get(_ANY_OTHER)
    if _ANY in transitions:
        where = Q()
    elif _ANY_OTHER in transitions:
        where = ~Q(**{attname: transitions[_ANY_OTHER].target})
        if explicit:
            where |= Q(**{f"{attname}__in": list(explicit)})
    else:
        where = Q(**{f"{attname}__in": list(explicit)})
    targets = set(explicit.values()) | ({fallback.target} if fallback else set())
    if len(targets) == 1:
        (only,) = targets
        return where, only, Value(writer.state_text(only))
    state_whens = [When(**{attname: s}, then=Value(t)) for s, t in explicit.items()]
    text_whens = [
        When(**{attname: s}, then=Value(writer.state_text(t))) for s, t in explicit.items()
    ]
    state_default = Value(fallback.target) if fallback else None
    text_default = Value(writer.state_text(fallback.target)) if fallback else None
    state_field = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    new_state = Case(*state_whens, default=state_default, output_field=state_field)
    new_text = Case(
        *text_whens, default=text_default, output_field=models.CharField(max_length=255)
    )
    return where, new_state, new_text


def _insert_records(
    rows: models.QuerySet[Any],
    using: str,
    columns: Mapping[str, Any],
) -> int:
    """``INSERT INTO <audit table> (...) SELECT ... FROM <rows>``: the number of records.

    ``columns`` has an SQL expression for every field of a record but its ``id``.
    """
    connection = connections[using]
    insert, fields = insert_into(connection)
    aliases = {f"_guarded_{field.name}": columns[field.name] for field in fields}
    select = rows.order_by().values(**aliases)
    if connection.features.has_select_for_update:
        of = ("self",) if connection.features.has_select_for_update_of else ()
        select = select.select_for_update(of=of)
    sql, params = select.query.get_compiler(using=using).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"{insert} {sql}", params)
        return int(cursor.rowcount)


def _check(
    queryset: models.QuerySet[Any],
    info: MethodInfo,
    field: FSMFieldMixin,
    transitions: Mapping[Any, Transition],
    by: Any,
    values: Mapping[str, Any],
    data: Mapping[str, Any] | None,
) -> None:
    """Refuse, before anything is written, what cannot be decided for all rows at once."""
    model = queryset.model
    label = f"{model.__name__}.{info.name}()"
    for transition in transitions.values():
        _check_transition(label, info, transition, by)
    _check_values(label, model, field, values)
    if not info.empty_body:
        raise _refusal(
            label,
            "its body would not run for each row",
            "Empty the body and pass what it sets as bulk_transition(..., values={...}), "
            "or call the method on each object",
        )
    if info.audit is not None and data is None:
        raise _refusal(
            label,
            "it declares audit= data, computed per object",
            "Pass the data of the records as bulk_transition(..., data={...})",
        )
    query = queryset.query
    if query.is_sliced or query.distinct or queryset._fields is not None:  # type: ignore[attr-defined]
        raise BulkTransitionError(
            f"bulk_transition() needs a plain filtered queryset of {model.__name__}: "
            "not sliced, distinct(), values() or values_list()"
        )


def _record_columns(
    model: type[models.Model],
    info: MethodInfo,
    field: FSMFieldMixin,
    target_text: Any,
    *,
    by: Any,
    asof: datetime.datetime | None,
    data: Mapping[str, Any] | None,
    using: str,
) -> dict[str, Any]:
    """An SQL expression for each column of the records, read from each moved row."""
    from django_guarded._audit.record import AuditRecord

    actor, actor_model, actor_pk = writer.actor_fields(by)
    when = asof if asof is not None else guarded_settings.now()
    return {
        "created_at": Value(when, output_field=models.DateTimeField()),
        "model": Value(model_label(model)),
        "object_pk": _pk_text(model, using),
        "kind": Value(AuditRecord.Kind.BULK_TRANSITION.value),
        "method": Value(info.name),
        "field": Value(field.name),
        "source": _state_text(field),
        "target": target_text,
        "actor": Value(actor),
        "actor_model": Value(actor_model),
        "actor_pk": Value(actor_pk),
        "data": Value(dict(data or {}), output_field=AuditRecord._meta.get_field("data")),
    }


def bulk_transition(
    queryset: models.QuerySet[Any],
    info: MethodInfo,
    *,
    by: Any = None,
    asof: datetime.datetime | None = None,
    values: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> int:
    """Run the transition of ``info`` on every row of ``queryset`` that may take it.

    Rows whose state is not a source of the transition are left alone. Returns
    the number of rows moved. See the module docstring for what is refused.
    """
    if info.kind != "transition":
        raise BulkTransitionError(_messages.not_a_transition(queryset.model, info.name))
    model = queryset.model
    meta = fsm_meta(info.func)
    assert meta is not None, "a transition's function carries its FSMMeta"
    field = meta.field
    if isinstance(field, str):
        field = model._meta.get_field(field)
    _check(queryset, info, field, meta.transitions, by, values or {}, data)
    using = queryset.db if queryset._db else router.db_for_write(model)  # type: ignore[attr-defined]
    where, new_state, target_text = _moves(field, meta.transitions)
    rows = queryset.filter(where).using(using)
    updates: dict[str, Any] = {field.name: new_state, **(values or {})}
    audited = writer.is_audited(model)
    columns = _record_columns(
        model, info, field, target_text, by=by, asof=asof, data=data, using=using
    )
    permission = _permission.Permission(model._meta.concrete_model)
    with _permission.enter(permission), transaction.atomic(using=using):
        recorded = _insert_records(rows, using, columns) if audited else None
        moved = rows.update(**updates)
        if recorded is not None and recorded != moved:
            raise ConcurrentTransition(
                f"{model.__name__}.{info.name}() in bulk: {moved} rows moved but {recorded} "
                "were locked and recorded first; another transaction changed the selection in "
                "between. Nothing was written: run it again."
            )
    return moved
