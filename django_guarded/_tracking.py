"""What an operation changed on an instance, so that only those columns are saved."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

__all__ = ["changed_fields", "merge_reloaded", "persist_changes", "restore", "snapshot"]

_MISSING = object()


def snapshot(instance: models.Model) -> list[Any]:
    """The tracked field values of ``instance``, in ``_guarded_tracked`` order."""
    data = instance.__dict__
    return [data.get(attname, _MISSING) for attname, _ in type(instance)._guarded_tracked]  # type: ignore[attr-defined]


def merge_reloaded(
    instance: models.Model, before: list[Any], fields: Iterable[str] | None
) -> list[Any]:
    now = snapshot(instance)
    if fields is None:
        return now
    wanted = set(fields)
    tracked = type(instance)._guarded_tracked  # type: ignore[attr-defined]
    return [
        new if (attname in wanted or name in wanted) else old
        for (attname, name), old, new in zip(tracked, before, now, strict=True)
    ]


def changed_fields(instance: models.Model, before: list[Any]) -> list[str]:
    """Names of the tracked fields whose value differs from ``before``."""
    data = instance.__dict__
    changed = []
    tracked = type(instance)._guarded_tracked  # type: ignore[attr-defined]
    for (attname, name), old in zip(tracked, before, strict=True):
        new = data.get(attname, _MISSING)
        if new is _MISSING or new is old:
            continue
        if old is _MISSING or new != old:
            changed.append(name)
    return changed


def restore(instance: models.Model, before: list[Any]) -> None:
    """Put the tracked values of ``before`` back into ``instance`` (after a rollback)."""
    data = instance.__dict__
    tracked = type(instance)._guarded_tracked  # type: ignore[attr-defined]
    for (attname, _), old in zip(tracked, before, strict=True):
        if old is _MISSING:
            data.pop(attname, None)
        else:
            data[attname] = old
    # Related objects cached from the rolled-back values would now lie.
    instance._state.fields_cache = {}


def persist_changes(instance: models.Model, before: list[Any] | None) -> list[str]:
    """Save what an operation changed on ``instance``: an INSERT if it is new, else an
    UPDATE of the changed columns only. Returns the names of the saved fields."""
    if instance._state.adding:
        instance.save()
        return [name for _, name in type(instance)._guarded_tracked]  # type: ignore[attr-defined]
    changed = changed_fields(instance, before) if before is not None else []
    if changed:
        instance.save(update_fields=changed)
    return changed
