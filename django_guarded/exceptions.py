"""Every error django-guarded raises derives from `GuardedError`.

Where Django or django-fsm-2 code expects one of its own exceptions, ours inherit
it as well, so existing ``except`` clauses keep working after a switch.
"""

from __future__ import annotations

from typing import Any

import django_fsm
from django.core.exceptions import PermissionDenied

__all__ = [
    "AppendOnlyError",
    "ConcurrentTransition",
    "DirectSaveError",
    "GuardedError",
    "GuardedFieldError",
    "TransitionNotAllowed",
    "TransitionPermissionDenied",
]


class GuardedError(Exception):
    """Base class of every error django-guarded raises."""


class GuardedFieldError(GuardedError, AttributeError):
    """A guarded field was assigned outside the model's own transitions and operations."""


class DirectSaveError(GuardedError):
    """A guarded model was saved, deleted, created or bulk-written outside its own methods."""


class TransitionNotAllowed(GuardedError, django_fsm.TransitionNotAllowed):
    """A transition cannot run from the current state, or its conditions are not met."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class ConcurrentTransition(GuardedError, django_fsm.ConcurrentTransition):
    """Another transaction changed the row since it was loaded; nothing was written."""


class TransitionPermissionDenied(GuardedError, PermissionDenied):
    """The acting user may not run this transition on this object; nothing was written."""


class AppendOnlyError(GuardedError):
    """An audit record was to be changed or deleted: the audit trail only grows."""
