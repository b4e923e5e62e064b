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

    from django_guarded._audit.triggers import allow_audit_purge
    from django_guarded._core.permission import unguarded
    from django_guarded._engine.decorators import SYSTEM, operation, transition
    from django_guarded._orm.concurrency import VersionField, retrying
    from django_guarded._orm.fields import FSMField, FSMIntegerField, FSMKeyField, guarded
    from django_guarded._orm.managers import GuardedManager, GuardedQuerySet
    from django_guarded._orm.model import GuardedModel
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
    "VersionField": "django_guarded._orm.concurrency",
    "retrying": "django_guarded._orm.concurrency",
    "FSMField": "django_guarded._orm.fields",
    "FSMIntegerField": "django_guarded._orm.fields",
    "FSMKeyField": "django_guarded._orm.fields",
    "guarded": "django_guarded._orm.fields",
    "unguarded": "django_guarded._core.permission",
    "GuardedManager": "django_guarded._orm.managers",
    "GuardedQuerySet": "django_guarded._orm.managers",
    "GuardedModel": "django_guarded._orm.model",
    "SYSTEM": "django_guarded._engine.decorators",
    "operation": "django_guarded._engine.decorators",
    "transition": "django_guarded._engine.decorators",
    "allow_audit_purge": "django_guarded._audit.triggers",
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
