"""django-guarded: a Django model's own methods are the only way to change it.

Public API:

    from django_guarded import FSMField, GuardedManager, GuardedModel, operation, transition
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_fsm import GET_STATE, RETURN_VALUE, can_proceed, has_transition_perm

from django_guarded._concurrency import VersionField, retrying
from django_guarded._fields import FSMField, FSMIntegerField, FSMKeyField, guarded
from django_guarded._guard import unguarded
from django_guarded._managers import GuardedManager, GuardedQuerySet
from django_guarded._transitions import SYSTEM, operation, transition
from django_guarded._triggers import allow_audit_purge
from django_guarded.exceptions import (
    AppendOnlyError,
    ConcurrentTransition,
    DirectSaveError,
    GuardedError,
    GuardedFieldError,
    TransitionNotAllowed,
    TransitionPermissionDenied,
)

if TYPE_CHECKING:
    from django_guarded._models import GuardedModel

__all__ = [
    "GET_STATE",
    "RETURN_VALUE",
    "SYSTEM",
    "AppendOnlyError",
    "ConcurrentTransition",
    "DirectSaveError",
    "FSMField",
    "FSMIntegerField",
    "FSMKeyField",
    "GuardedError",
    "GuardedFieldError",
    "GuardedManager",
    "GuardedModel",
    "GuardedQuerySet",
    "TransitionNotAllowed",
    "TransitionPermissionDenied",
    "VersionField",
    "allow_audit_purge",
    "can_proceed",
    "guarded",
    "has_transition_perm",
    "operation",
    "retrying",
    "transition",
    "unguarded",
]


def __getattr__(name: str) -> Any:
    # GuardedModel is a Django model class: it can only be created once the app
    # registry is loading models, not when Django imports this package from
    # INSTALLED_APPS.
    if name == "GuardedModel":
        from django_guarded._models import GuardedModel

        return GuardedModel
    raise AttributeError(f"module 'django_guarded' has no attribute {name!r}")
