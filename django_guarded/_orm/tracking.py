"""What an instance holds that its row does not, so that a call saves exactly that.

Two kinds of change are tracked. What a running transition or operation changes
is found by comparing a snapshot of the tracked fields taken when it started with
the values when it returns. What was assigned before the call, from outside the
model's own methods (a form, a view: only unguarded fields can be), is noted by
``GuardedModel.__setattr__`` as the value the field held before: the next call
on the instance saves it too, so an edit is never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

__all__ = [
    "UNSAVED",
    "after_save",
    "changed_fields",
    "forget_unsaved",
    "merge_reloaded",
    "note_unsaved",
    "persist_changes",
    "restore",
    "snapshot",
    "unsaved_baseline",
]

_MISSING = object()
#: Key in an instance's ``__dict__``: attname -> the value before an unsaved assignment.
UNSAVED = "_guarded_unsaved"


def note_unsaved(instance: models.Model, attname: str) -> None:
    """Remember what ``attname`` held before the assignment that is about to happen.

    Only the first assignment since the last save counts. The mapping is replaced,
    never changed in place, so that a ``copy()`` of the instance keeps its own.
    """
    data = instance.__dict__
    unsaved = data.get(UNSAVED)
    if unsaved is None:
        data[UNSAVED] = {attname: data.get(attname, _MISSING)}
    elif attname not in unsaved:
        data[UNSAVED] = {**unsaved, attname: data.get(attname, _MISSING)}


def forget_unsaved(instance: models.Model, fields: Iterable[str] | None = None) -> None:
    """The row now holds ``fields`` (names or attnames; ``None``: every field)."""
    data = instance.__dict__
    unsaved = data.get(UNSAVED)
    if unsaved is None:
        return
    if fields is None:
        del data[UNSAVED]
        return
    gone = set()
    for name in fields:
        try:
            gone.add(instance._meta.get_field(name).attname)  # type: ignore[union-attr]
        except Exception:  # not a field: nothing of it is tracked
            continue
    left = {attname: old for attname, old in unsaved.items() if attname not in gone}
    if left:
        data[UNSAVED] = left
    else:
        del data[UNSAVED]


def unsaved_baseline(instance: models.Model, now: list[Any]) -> list[Any]:
    """``now`` (a `snapshot`) with each field assigned since the last save set back to
    what it held before: compared with it, those fields count as changed."""
    unsaved = instance.__dict__.get(UNSAVED)
    if not unsaved:
        return list(now)
    baseline = list(now)
    for index, (attname, _) in enumerate(type(instance)._guarded_tracked):  # type: ignore[attr-defined]
        if attname in unsaved:
            baseline[index] = unsaved[attname]
    return baseline


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


def after_save(
    instance: models.Model,
    baseline: list[Any],
    before: list[Any],
    update_fields: Iterable[str] | None,
) -> list[Any]:
    """The baseline of a running call after the instance saved itself.

    A field is stored now if the save wrote it (all of them without
    ``update_fields``) or changed it itself (a version bump, ``auto_now``, a new
    primary key); every other field keeps its baseline, so the call still saves
    what changed in it.
    """
    now = snapshot(instance)
    if update_fields is None:
        return now
    wanted = set(update_fields)
    tracked = type(instance)._guarded_tracked  # type: ignore[attr-defined]
    return [
        new if (attname in wanted or name in wanted or new is not old) else base
        for (attname, name), base, old, new in zip(tracked, baseline, before, now, strict=True)
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
