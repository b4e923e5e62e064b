"""Who may write to a guarded model right now.

The answer lives in a context variable, so it is private to one thread and to one
asyncio task: a transition running in one request never opens a window for code
running in another (unlike a flag set on the shared field object).

A frame is closed when its block ends. Code that copied the context while the
block ran (``asyncio.create_task()``, ``contextvars.copy_context()``, a thread
started with the context) still sees the frame afterwards, but a closed frame
grants nothing: permission ends with its block, whoever kept a reference to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = [
    "CallInfo",
    "Frame",
    "current_frame",
    "enter",
    "may_write",
    "may_write_model",
    "may_write_table",
    "unguarded",
]


class CallInfo(NamedTuple):
    """What the records written on behalf of a running method need to know of it."""

    method: str
    by: Any
    asof: Any


class Frame:
    """One level of permission to write.

    ``model`` is the concrete model whose own code is running (``None``: any model,
    as inside `unguarded()`). ``only`` narrows the permission to one instance,
    for Django's own bookkeeping (loading, refreshing, cleaning). ``owner`` is the
    instance whose operation runs, and ``snapshot`` its field values when it began.
    ``record`` is the owner's audit record while it waits to be written by the
    same statement as the owner's ``UPDATE`` (see ``_audit.update_with_record``).
    """

    __slots__ = ("call", "closed", "model", "only", "owner", "owner_deleted", "record", "snapshot")

    def __init__(
        self,
        model: type[Model] | None,
        *,
        only: Model | None = None,
        owner: Model | None = None,
        call: CallInfo | None = None,
    ) -> None:
        self.model = model
        #: The transition or operation that runs, for records written on its behalf.
        self.call = call
        self.only = only
        self.owner = owner
        #: Set when the frame's block has ended: from then on it grants nothing.
        self.closed = False
        #: Set when the owner's row was deleted by the running call.
        self.owner_deleted = False
        self.snapshot: list[Any] | None = None
        self.record: dict[str, Any] | None = None


_frame: ContextVar[Frame | None] = ContextVar("django_guarded_frame", default=None)


def current_frame() -> Frame | None:
    """The open frame of the running code, if any."""
    frame = _frame.get()
    return None if frame is None or frame.closed else frame


def may_write(obj: Model) -> bool:
    """Whether the running code may write to ``obj``'s guarded fields and save it."""
    frame = _frame.get()
    if frame is None or frame.closed:
        return False
    if frame.model is None:
        return True
    if frame.only is not None:
        return frame.only is obj
    return isinstance(obj, frame.model)


def may_write_model(model: type[Model]) -> bool:
    """Whether the running code may create, bulk-update or bulk-delete rows of ``model``."""
    frame = _frame.get()
    if frame is None or frame.closed or frame.only is not None:
        return False
    return frame.model is None or issubclass(model, frame.model)


def may_write_table(model: type[Model]) -> bool:
    """Whether the running code may send an ``UPDATE`` to ``model``'s table: as
    `may_write_model`, and also for the parent tables of a multi-table model whose
    own code runs (its saves update them)."""
    if may_write_model(model):
        return True
    frame = _frame.get()
    return (
        frame is not None
        and not frame.closed
        and frame.only is None
        and frame.model is not None
        and model in frame.model._meta.get_parent_list()
    )


@contextmanager
def enter(frame: Frame) -> Iterator[Frame]:
    """Run the block with ``frame`` as the current permission, restoring the previous one."""
    token = _frame.set(frame)
    try:
        yield frame
    finally:
        frame.closed = True
        _frame.reset(token)


@contextmanager
def unguarded() -> Iterator[None]:
    """Allow every write to every guarded model inside the block.

    Meant for test setup, factories and one-off data fixes ("test setup is the one
    place you may break the contract"). Transitions and operations called inside
    the block still run with their own, narrower permission. The permission belongs
    to the current thread or asyncio task only.
    """
    with enter(Frame(None)):
        yield
