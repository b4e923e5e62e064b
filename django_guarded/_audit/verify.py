"""Replaying the audit trail against the current state of the objects.

For every object and state field the trail mentions, the records are read in the
order they were written, the object's creation record first. What must hold:

- each record starts where the previous one ended (its ``source`` is the previous
  ``target``): otherwise the state was changed without a record in between. The
  creation record of an object (written by the manager operation that created it)
  holds the state it started in, so the first move is checked too;
- the last ``target`` is the state the object has now;
- an object whose records exist still has its row, unless its last record is the
  record of its deletion by one of its own methods;
- a transition's record moves along one of the edges its method declares.

A model can check more by defining ``verify_audit_trail(self, records)``, which
receives the object's records in order and returns a list of problems (the bank
example compares the sum of the recorded deltas with the balance).

Whatever a record holds, verification reports; it never fails with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Case, IntegerField, Value, When

from django_guarded._audit.edges import check_edges
from django_guarded._audit.report import Problem, Report
from django_guarded._audit.writer import state_text

__all__ = ["Problem", "Report", "verify"]

_CHUNK = 1000
_CREATION = "creation"
_DELETION = "deletion"


@dataclass
class _Trail:
    """The replayed state of one (object, field): where its last record left it."""

    last_id: int
    last_method: str
    target: str | None


def _model_for(label: str) -> type[models.Model] | None:
    try:
        return django_apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _replay_states(records: Any, report: Report) -> dict[str, dict[tuple[str, str], _Trail]]:
    """Walk the state records, report gaps, return the final state per model/object/field."""
    trails: dict[str, dict[tuple[str, str], _Trail]] = {}
    creation_first = Case(
        When(kind=_CREATION, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    rows = (
        records.exclude(field="")
        .annotate(_guarded_order=creation_first)
        .order_by("model", "object_pk", "field", "_guarded_order", "id")
        .values_list("id", "model", "object_pk", "field", "method", "kind", "source", "target")
        .iterator(chunk_size=5000)
    )
    for (label, object_pk, field_name), group in groupby(rows, key=lambda r: (r[1], r[2], r[3])):
        previous: _Trail | None = None
        for record_id, _, _, _, method, kind, source, target in group:
            if previous is not None and kind != _CREATION and source != previous.target:
                report.problems.append(
                    Problem(
                        label,
                        object_pk,
                        f"{field_name} went from {previous.target!r} to {source!r} without a "
                        f"record, between record #{previous.last_id} ({previous.last_method}) "
                        f"and record #{record_id} ({method})",
                    )
                )
            previous = _Trail(record_id, method, target)
        if previous is not None:
            trails.setdefault(label, {})[(object_pk, field_name)] = previous
    return trails


def _to_keys(
    label: str, model: type[models.Model], object_pks: Iterable[str], report: Report
) -> dict[Any, str]:
    """Map each primary key the trail names, as the model's pk field reads it, to its text;
    a text that is no primary key of ``model`` is reported."""
    pk_field = model._meta.pk
    assert pk_field is not None
    keys: dict[Any, str] = {}
    for object_pk in object_pks:
        try:
            keys[pk_field.to_python(object_pk)] = object_pk
        except (ValidationError, TypeError, ValueError):
            report.problems.append(
                Problem(
                    label,
                    object_pk,
                    f"its records name the primary key {object_pk!r}, which is not a valid "
                    f"{model.__name__} primary key: the records were not written by this model",
                )
            )
    return keys


def _report_nameless(label: str, model: type[models.Model], records: Any, report: Report) -> None:
    """Records of a call on an object that name no object: written for an unsaved one."""
    nameless = (
        records.filter(model=label, object_pk="")
        .exclude(kind__in=("operation",))
        .order_by()
        .values_list("method")
        .annotate(count=models.Count("id"))
    )
    for method, count in nameless:
        report.problems.append(
            Problem(
                label,
                "",
                f"{count} record(s) of {model.__name__}.{method}() name no object: they were "
                "written for an object that was never saved",
            )
        )


def _check_rows(
    label: str,
    model: type[models.Model],
    records: Any,
    trails: dict[tuple[str, str], _Trail],
    using: str,
    report: Report,
) -> None:
    """Compare each object the trail names with its row: it must exist (or have been
    deleted by its own methods) and hold the state its last record says."""
    _report_nameless(label, model, records, report)
    object_pks = list(
        records.filter(model=label)
        .exclude(object_pk="")
        .order_by()
        .values_list("object_pk", flat=True)
        .distinct()
    )
    state_names: dict[str, list[str]] = {}
    for object_pk, field_name in trails:
        state_names.setdefault(object_pk, []).append(field_name)
    attnames = _state_attnames(
        label, model, {name for names in state_names.values() for name in names}, report
    )
    for chunk in _chunks(object_pks):
        keys = _to_keys(label, model, chunk, report)
        if not keys:
            continue
        rows = {
            row[0]: dict(zip(attnames, row[1:], strict=True))
            for row in model._base_manager.using(using)
            .filter(pk__in=list(keys))
            .values_list("pk", *attnames.values())
        }
        missing = [object_pk for key, object_pk in keys.items() if key not in rows]
        _report_missing(label, records, missing, report)
        for key, object_pk in keys.items():
            if key in rows:
                report.objects += 1
                _compare_states(label, object_pk, rows[key], state_names, trails, report)


def _compare_states(
    label: str,
    object_pk: str,
    values: dict[str, Any],
    state_names: dict[str, list[str]],
    trails: dict[tuple[str, str], _Trail],
    report: Report,
) -> None:
    """Each state of one object's row must be its last record's target."""
    for field_name in state_names.get(object_pk, ()):
        if field_name not in values:
            continue
        report.states += 1
        trail = trails[(object_pk, field_name)]
        now = state_text(values[field_name])
        if now != trail.target:
            report.problems.append(
                Problem(
                    label,
                    object_pk,
                    f"{field_name} is {now!r} but its last record "
                    f"(#{trail.last_id}, {trail.last_method}) says {trail.target!r}",
                )
            )


def _state_attnames(
    label: str, model: type[models.Model], names: set[str], report: Report
) -> dict[str, str]:
    """The column to read for each state field the trail names; gone fields are reported."""
    attnames: dict[str, str] = {}
    for name in sorted(names):
        try:
            attnames[name] = model._meta.get_field(name).attname  # type: ignore[union-attr]
        except FieldDoesNotExist:
            report.problems.append(
                Problem(label, "*", f"the trail names the field {name!r}, which is gone")
            )
    return attnames


def _report_missing(label: str, records: Any, missing: list[str], report: Report) -> None:
    """Objects whose rows are gone: fine if their last record is their deletion."""
    if not missing:
        return
    last: dict[str, tuple[int, str, str]] = {}
    rows = (
        records.filter(model=label, object_pk__in=missing)
        .order_by("object_pk", "id")
        .values_list("object_pk", "id", "kind", "method")
    )
    for object_pk, record_id, kind, method in rows:
        last[object_pk] = (record_id, kind, method)
    for object_pk in missing:
        record_id, kind, method = last[object_pk]
        if kind == _DELETION:
            report.deleted += 1
            continue
        report.problems.append(
            Problem(
                label,
                object_pk,
                f"its row is gone, but its last record (#{record_id}, {method}) is no "
                "deletion by one of its own methods: it was deleted around the model",
            )
        )


def _model_hooks(
    label: str, model: type[models.Model], records: Any, using: str, report: Report
) -> None:
    """Call ``verify_audit_trail(records)`` on each object of ``model`` with records."""
    rows = records.filter(model=label).exclude(object_pk="").order_by("object_pk", "id")
    groups = groupby(rows.iterator(chunk_size=5000), key=lambda r: r.object_pk)
    batch: list[tuple[str, list[Any]]] = []

    def flush(batch: list[tuple[str, list[Any]]]) -> None:
        keys = _to_keys(label, model, [pk for pk, _ in batch], _Discard())
        found = model._base_manager.using(using).in_bulk(list(keys))
        by_pk = dict(batch)
        for key, object_pk in keys.items():
            obj = found.get(key)
            if obj is None:
                continue
            try:
                messages = list(obj.verify_audit_trail(by_pk[object_pk]))  # type: ignore[attr-defined]
            except Exception as error:
                messages = [f"its verify_audit_trail() raised {type(error).__name__}: {error}"]
            for message in messages:
                report.problems.append(Problem(label, object_pk, str(message)))

    for object_pk, group in groups:
        batch.append((object_pk, list(group)))
        if len(batch) >= _CHUNK:
            flush(batch)
            batch = []
    if batch:
        flush(batch)


class _Discard(Report):
    """A report whose findings are dropped: the rows pass already reported them."""


def verify(using: str, labels: Iterable[str] = ()) -> Report:
    """Replay the trail on database ``using``, for the given models (default: all)."""
    from django_guarded._audit.record import AuditRecord

    report = Report()
    records = AuditRecord.objects.using(using)
    wanted = [label.lower() for label in labels]
    if wanted:
        query = models.Q()
        for label in wanted:
            query |= (
                models.Q(model=label) if "." in label else models.Q(model__startswith=f"{label}.")
            )
        records = records.filter(query)
    trails = _replay_states(records, report)
    all_labels = set(trails) | set(records.order_by().values_list("model", flat=True).distinct())
    for label in sorted(all_labels):
        model = _model_for(label)
        if model is None:
            report.unknown_models.add(label)
            continue
        report.models.add(label)
        _check_rows(label, model, records, trails.get(label, {}), using, report)
        check_edges(label, model, records, report)
        if callable(getattr(model, "verify_audit_trail", None)):
            _model_hooks(label, model, records, using, report)
    return report
