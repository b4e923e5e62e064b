"""Replaying the audit trail against the current state of the objects.

For every object and state field the trail mentions, the records are read in the
order they were written. Two things must hold:

- each record starts where the previous one ended (its ``source`` is the previous
  ``target``): otherwise the state was changed without a record in between;
- the last ``target`` is the state the object has now.

A model can check more by defining ``verify_audit_trail(self, records)``, which
receives the object's records in order and returns a list of problems (the bank
example compares the sum of the recorded deltas with the balance).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.apps import apps as django_apps
from django.db import models

from django_guarded._audit import state_text

__all__ = ["Problem", "Report", "verify"]

_CHUNK = 1000


@dataclass(frozen=True)
class Problem:
    """One way an object disagrees with its audit trail."""

    model: str
    object_pk: str
    message: str

    def __str__(self) -> str:
        return f"{self.model} pk={self.object_pk}: {self.message}"


@dataclass
class Report:
    """What `verify()` found."""

    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    missing: int = 0
    unknown_models: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)


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
    rows = (
        records.exclude(field="")
        .order_by("model", "object_pk", "field", "id")
        .values_list("id", "model", "object_pk", "field", "method", "source", "target")
        .iterator(chunk_size=5000)
    )
    for (label, object_pk, field_name), group in groupby(rows, key=lambda r: (r[1], r[2], r[3])):
        previous: _Trail | None = None
        for record_id, _, _, _, method, source, target in group:
            if previous is not None and source != previous.target:
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


def _compare_current(
    label: str,
    model: type[models.Model],
    trails: dict[tuple[str, str], _Trail],
    using: str,
    report: Report,
) -> None:
    pk_field = model._meta.pk
    assert pk_field is not None
    by_field: dict[str, list[str]] = {}
    for object_pk, field_name in trails:
        by_field.setdefault(field_name, []).append(object_pk)
    for field_name, object_pks in by_field.items():
        try:
            state_field = model._meta.get_field(field_name)
        except Exception:
            report.problems.append(
                Problem(label, "*", f"the trail names the field {field_name!r}, which is gone")
            )
            continue
        attname = state_field.attname  # type: ignore[union-attr]
        for chunk in _chunks(object_pks):
            wanted = {pk_field.to_python(pk): pk for pk in chunk}
            current = dict(
                model._base_manager.using(using)
                .filter(pk__in=list(wanted))
                .values_list("pk", attname)
            )
            for key, object_pk in wanted.items():
                if key not in current:
                    report.missing += 1
                    continue
                report.checked += 1
                trail = trails[(object_pk, field_name)]
                now = state_text(current[key])
                if now != trail.target:
                    report.problems.append(
                        Problem(
                            label,
                            object_pk,
                            f"{field_name} is {now!r} but its last record "
                            f"(#{trail.last_id}, {trail.last_method}) says {trail.target!r}",
                        )
                    )


def _model_hooks(
    label: str, model: type[models.Model], records: Any, using: str, report: Report
) -> None:
    """Call ``verify_audit_trail(records)`` on each object of ``model`` with records."""
    rows = records.filter(model=label).exclude(object_pk="").order_by("object_pk", "id")
    pk_field = model._meta.pk
    assert pk_field is not None
    groups = groupby(rows.iterator(chunk_size=5000), key=lambda r: r.object_pk)
    batch: list[tuple[str, list[Any]]] = []

    def flush(batch: list[tuple[str, list[Any]]]) -> None:
        keys = {pk_field.to_python(pk): (pk, recs) for pk, recs in batch}
        objects = model._base_manager.using(using).in_bulk(list(keys))
        for key, (object_pk, recs) in keys.items():
            obj = objects.get(key)
            if obj is None:
                continue
            for message in obj.verify_audit_trail(recs):  # type: ignore[attr-defined]
                report.problems.append(Problem(label, object_pk, str(message)))

    for object_pk, group in groups:
        batch.append((object_pk, list(group)))
        if len(batch) >= _CHUNK:
            flush(batch)
            batch = []
    if batch:
        flush(batch)


def verify(using: str, labels: Iterable[str] = ()) -> Report:
    """Replay the trail on database ``using``, for the given models (default: all)."""
    from django_guarded.models import AuditRecord

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
        if label in trails:
            _compare_current(label, model, trails[label], using, report)
        if callable(getattr(model, "verify_audit_trail", None)):
            _model_hooks(label, model, records, using, report)
    return report
