"""Every error django-guarded raises derives from `GuardedError`.

Where Django or django-fsm-2 code expects one of its own exceptions, ours inherit
it as well, so existing ``except`` clauses keep working after a switch.
"""

from __future__ import annotations

from typing import Any

import django_fsm
from django.core.exceptions import PermissionDenied, ValidationError

__all__ = [
    "AppendOnlyError",
    "BulkTransitionError",
    "ConcurrentTransition",
    "DirectSaveError",
    "GuardedError",
    "GuardedFieldError",
    "TransitionNotAllowed",
    "TransitionPermissionDenied",
]


class GuardedError(Exception):
    """Base class of every error django-guarded raises."""


class GuardedFieldError(GuardedError, AttributeError, ValidationError):
    """A guarded field was assigned outside the model's own transitions and operations.

    It is also a ``ValidationError`` on that field, so a ``ModelForm``, an inline
    or a formset that posts a changed guarded value is invalid, with the way out as
    the field's error, instead of failing with a traceback.
    """

    def __init__(
        self, message: str, field: str | None = None, field_message: str | None = None
    ) -> None:
        AttributeError.__init__(self, message, name=field)
        error = ValidationError(field_message or message, code="guarded")
        ValidationError.__init__(self, {field: [error]} if field else [error])
        self.args = (message,)
        self.field = field
        self.field_message = field_message

    def __str__(self) -> str:
        return str(self.args[0])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.args[0]!r})"

    def __reduce__(self) -> Any:
        return type(self), (self.args[0], self.field, self.field_message)


class DirectSaveError(GuardedError):
    """A guarded model was saved, deleted, created or bulk-written outside its own methods."""


class TransitionNotAllowed(GuardedError, django_fsm.TransitionNotAllowed):
    """A transition cannot run from the current state, or its conditions are not met."""


class ConcurrentTransition(GuardedError, django_fsm.ConcurrentTransition):
    """Another transaction changed the row since it was loaded; nothing was written."""


class TransitionPermissionDenied(GuardedError, PermissionDenied):
    """The acting user may not run this transition on this object; nothing was written."""


class BulkTransitionError(GuardedError, TypeError):
    """A transition cannot run in bulk as asked; nothing was written."""


class AppendOnlyError(GuardedError):
    """An audit record was to be changed or deleted: the audit trail only grows."""
