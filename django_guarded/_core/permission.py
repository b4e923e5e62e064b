"""Who may write to a guarded model right now: the write permission.

The answer lives in a context variable, so it is private to one thread and to one
asyncio task: a transition running in one request never opens a window for code
running in another (unlike a flag set on the shared field object).

A permission is closed when its block ends. Code that copied the context while the
block ran (``asyncio.create_task()``, ``contextvars.copy_context()``, a thread
started with the context) still sees the permission afterwards, but a closed
permission grants nothing: it ends with its block, whoever kept a reference to it.

The lower layers ask the running call for what only it knows (the baseline of the
instance it saves, its waiting audit record, what to do when it creates or deletes
a row) through `ActiveCall`; the call engine implements it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.db.models import Field, Model, QuerySet

__all__ = [
    "ActiveCall",
    "PendingRecord",
    "Permission",
    "current",
    "enter",
    "may_write",
    "may_write_model",
    "may_write_table",
    "unguarded",
]


class PendingRecord(Protocol):
    """An audit record that waits to be written by the statement that saves its object."""

    #: Set once the record was written with the object's ``UPDATE``.
    written: bool

    def write_with_update(
        self,
        queryset: QuerySet[Any],
        values: list[tuple[Field[Any, Any], Any, Any]],
        using: str,
    ) -> int | None:
        """Run the ``UPDATE`` of ``values`` on ``queryset`` and insert the record in the
        same statement; the number of rows updated, or ``None`` if it cannot."""


class ActiveCall(Protocol):
    """What the model layer asks of the transition or operation that runs."""

    #: The owner's field values as stored, in ``_guarded_tracked`` order: what the
    #: call's save compares with, and what an optimistic ``UPDATE`` is conditional on.
    baseline: list[Any] | None

    @property
    def pending(self) -> PendingRecord | None:
        """The owner's audit record, while it waits for the owner's ``UPDATE``."""

    def created(self, instance: Model) -> None:
        """``instance`` was just inserted inside the call."""

    def deleted(self, instance: Model) -> None:
        """``instance``'s row is about to be deleted inside the call."""


class Permission:
    """One level of permission to write.

    ``model`` is the concrete model whose own code is running (``None``: any model,
    as inside `unguarded()`). ``only`` narrows the permission to one instance, for
    Django's own bookkeeping (loading, refreshing, cleaning). ``owner`` is the
    instance whose transition or operation runs: the call saves its changes.
    ``call`` is that call, or the manager operation that runs.
    """

    __slots__ = ("call", "closed", "model", "only", "owner")

    def __init__(
        self,
        model: type[Model] | None,
        *,
        only: Model | None = None,
        owner: Model | None = None,
        call: ActiveCall | None = None,
    ) -> None:
        self.model = model
        self.only = only
        self.owner = owner
        self.call = call
        #: Set when the permission's block has ended: from then on it grants nothing.
        self.closed = False

    def call_of(self, instance: Model) -> ActiveCall | None:
        """The running call if it is ``instance``'s own (``instance`` is its owner)."""
        return self.call if self.owner is instance else None


_permission: ContextVar[Permission | None] = ContextVar("django_guarded_permission", default=None)

#: The permission as set, closed or not: for the hot path of ``__setattr__``.
get_raw = _permission.get


def current() -> Permission | None:
    """The open permission of the running code, if any."""
    permission = _permission.get()
    return None if permission is None or permission.closed else permission


def may_write(obj: Model) -> bool:
    """Whether the running code may write to ``obj``'s guarded fields and save it."""
    permission = current()
    if permission is None:
        return False
    if permission.model is None:
        return True
    if permission.only is not None:
        return permission.only is obj
    return isinstance(obj, permission.model)


def may_write_model(model: type[Model]) -> bool:
    """Whether the running code may create, bulk-update or bulk-delete rows of ``model``."""
    permission = current()
    if permission is None or permission.only is not None:
        return False
    return permission.model is None or issubclass(model, permission.model)


def may_write_table(model: type[Model]) -> bool:
    """Whether the running code may send an ``UPDATE`` to ``model``'s table: as
    `may_write_model`, and also for the parent tables of a multi-table model whose
    own code runs (its saves update them)."""
    if may_write_model(model):
        return True
    permission = current()
    return (
        permission is not None
        and permission.only is None
        and permission.model is not None
        and model in permission.model._meta.get_parent_list()
    )


@contextmanager
def enter(permission: Permission) -> Iterator[Permission]:
    """Run the block with ``permission``, restoring the previous one; close it after."""
    token = _permission.set(permission)
    try:
        yield permission
    finally:
        permission.closed = True
        _permission.reset(token)


@contextmanager
def unguarded() -> Iterator[None]:
    """Allow every write to every guarded model inside the block.

    Meant for test setup, factories and one-off data fixes ("test setup is the one
    place you may break the contract"). Transitions and operations called inside
    the block still run with their own, narrower permission. The permission belongs
    to the current thread or asyncio task only, and ends with the block.
    """
    with enter(Permission(None)):
        yield
