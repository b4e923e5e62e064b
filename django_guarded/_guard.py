"""Who may write to a guarded model right now.

The answer lives in a context variable, so it is private to one thread and to one
asyncio task: a transition running in one request never opens a window for code
running in another (unlike a flag set on the shared field object).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = ["Frame", "current_frame", "enter", "may_write", "may_write_model", "unguarded"]


class Frame:
    """One level of permission to write.

    ``model`` is the concrete model whose own code is running (``None``: any model,
    as inside `unguarded()`). ``only`` narrows the permission to one instance,
    for Django's own bookkeeping (loading, refreshing, cleaning). ``owner`` is the
    instance whose operation runs, and ``snapshot`` its field values when it began.
    ``record`` is the owner's audit record while it waits to be written by the
    same statement as the owner's ``UPDATE`` (see ``_audit.update_with_record``).
    """

    __slots__ = ("model", "only", "owner", "record", "snapshot")

    def __init__(
        self,
        model: type[Model] | None,
        *,
        only: Model | None = None,
        owner: Model | None = None,
    ) -> None:
        self.model = model
        self.only = only
        self.owner = owner
        self.snapshot: list[Any] | None = None
        self.record: dict[str, Any] | None = None


_frame: ContextVar[Frame | None] = ContextVar("django_guarded_frame", default=None)

current_frame = _frame.get


def may_write(obj: Model) -> bool:
    """Whether the running code may write to ``obj``'s guarded fields and save it."""
    frame = _frame.get()
    if frame is None:
        return False
    if frame.model is None:
        return True
    if frame.only is not None:
        return frame.only is obj
    return isinstance(obj, frame.model)


def may_write_model(model: type[Model]) -> bool:
    """Whether the running code may create, bulk-update or bulk-delete rows of ``model``."""
    frame = _frame.get()
    if frame is None or frame.only is not None:
        return False
    return frame.model is None or issubclass(model, frame.model)


@contextmanager
def enter(frame: Frame) -> Iterator[Frame]:
    """Run the block with ``frame`` as the current permission, restoring the previous one."""
    token = _frame.set(frame)
    try:
        yield frame
    finally:
        _frame.reset(token)


@contextmanager
def unguarded() -> Iterator[None]:
    """Allow every write to every guarded model inside the block.

    Meant for test setup, factories and one-off data fixes ("test setup is the one
    place you may break the contract"). Transitions and operations called inside
    the block still run with their own, narrower permission. The permission belongs
    to the current thread or asyncio task only.
    """
    token = _frame.set(Frame(None))
    try:
        yield
    finally:
        _frame.reset(token)
