"""django-guarded: a Django model's own methods are the only way to change it.

Public API:

    from django_guarded import FSMField, GuardedManager, GuardedModel, operation, transition
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_fsm import (
        ANY_OTHER_STATE,
        ANY_STATE,
        GET_STATE,
        RETURN_VALUE,
        Transition,
        can_proceed,
        has_transition_perm,
    )

    from django_guarded._concurrency import VersionField, retrying
    from django_guarded._fields import FSMField, FSMIntegerField, FSMKeyField, guarded
    from django_guarded._guard import unguarded
    from django_guarded._managers import GuardedManager, GuardedQuerySet
    from django_guarded._models import GuardedModel
    from django_guarded._transitions import SYSTEM, operation, transition
    from django_guarded._triggers import allow_audit_purge
    from django_guarded.exceptions import (
        AppendOnlyError,
        BulkTransitionError,
        ConcurrentTransition,
        DirectSaveError,
        GuardedError,
        GuardedFieldError,
        TransitionNotAllowed,
        TransitionPermissionDenied,
    )

__all__ = [
    "ANY_OTHER_STATE",
    "ANY_STATE",
    "GET_STATE",
    "RETURN_VALUE",
    "SYSTEM",
    "AppendOnlyError",
    "BulkTransitionError",
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
    "Transition",
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


# Every public name is imported on first use. Importing the package is then cheap
# and needs no configured Django: Django imports it from INSTALLED_APPS before the
# app registry can create model classes such as GuardedModel, and the static
# checker (django_guarded.checker) runs without Django at all.
_LOCATIONS = {
    "ANY_OTHER_STATE": "django_fsm",
    "ANY_STATE": "django_fsm",
    "GET_STATE": "django_fsm",
    "RETURN_VALUE": "django_fsm",
    "can_proceed": "django_fsm",
    "has_transition_perm": "django_fsm",
    "Transition": "django_fsm",
    "VersionField": "django_guarded._concurrency",
    "retrying": "django_guarded._concurrency",
    "FSMField": "django_guarded._fields",
    "FSMIntegerField": "django_guarded._fields",
    "FSMKeyField": "django_guarded._fields",
    "guarded": "django_guarded._fields",
    "unguarded": "django_guarded._guard",
    "GuardedManager": "django_guarded._managers",
    "GuardedQuerySet": "django_guarded._managers",
    "GuardedModel": "django_guarded._models",
    "SYSTEM": "django_guarded._transitions",
    "operation": "django_guarded._transitions",
    "transition": "django_guarded._transitions",
    "allow_audit_purge": "django_guarded._triggers",
    "AppendOnlyError": "django_guarded.exceptions",
    "BulkTransitionError": "django_guarded.exceptions",
    "ConcurrentTransition": "django_guarded.exceptions",
    "DirectSaveError": "django_guarded.exceptions",
    "GuardedError": "django_guarded.exceptions",
    "GuardedFieldError": "django_guarded.exceptions",
    "TransitionNotAllowed": "django_guarded.exceptions",
    "TransitionPermissionDenied": "django_guarded.exceptions",
}


def __getattr__(name: str) -> Any:
    try:
        module = _LOCATIONS[name]
    except KeyError:
        raise AttributeError(f"module 'django_guarded' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
