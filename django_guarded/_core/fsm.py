"""What django-fsm-2 knows about a model's state machines, read in one place.

django-fsm-2 keeps a method's transitions on the function (``_django_fsm``, a
``FSMMeta``) and a model's transition methods on each state field
(``field.transitions[model]``). Every other module reads them through here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeGuard

import django_fsm
from django_fsm import ANY_OTHER_STATE, ANY_STATE, FSMFieldMixin

if TYPE_CHECKING:
    from django.db import models
    from django_fsm import FSMMeta, Transition

__all__ = [
    "ANY_OTHER_STATE",
    "ANY_STATE",
    "WILDCARDS",
    "FSMFieldMixin",
    "describe_sources",
    "fsm_meta",
    "is_state_field",
    "model_transitions",
    "shown",
    "state_fields",
    "transition_methods",
]

#: The sources that are not states: every state, and every state but the target.
WILDCARDS = frozenset({ANY_STATE, ANY_OTHER_STATE})


def is_state_field(field: object) -> TypeGuard[FSMFieldMixin]:
    """Whether ``field`` holds a state (``FSMField`` and its kin, django-fsm-2's included)."""
    return isinstance(field, FSMFieldMixin)


def state_fields(model: type[models.Model]) -> list[FSMFieldMixin]:
    """The state fields of ``model``, in the order the model declares them."""
    return [field for field in model._meta.concrete_fields if isinstance(field, FSMFieldMixin)]


def fsm_meta(method: Any) -> FSMMeta | None:
    """The transitions django-fsm-2 recorded for ``method``, if it is a transition."""
    meta = getattr(method, "_django_fsm", None)
    return meta if isinstance(meta, django_fsm.FSMMeta) else None


def transition_methods(model: type[models.Model], field: FSMFieldMixin) -> dict[str, Any]:
    """The transition methods of ``field`` on ``model`` by name (django-fsm-2 collects
    them when the model class is ready)."""
    return dict(field.transitions.get(model, {}))


def model_transitions(model: type[models.Model], field: FSMFieldMixin) -> Iterator[Transition]:
    """Every transition of ``field`` on ``model``, one per declared source, by method name."""
    methods = transition_methods(model, field)
    for name in sorted(methods):
        meta = fsm_meta(methods[name])
        if meta is not None:
            yield from meta.transitions.values()


def shown(state: Any) -> Any:
    """A state as messages show it: a ``TextChoices`` member as its value."""
    return state.value if isinstance(state, enum.Enum) else state


def describe_sources(meta: FSMMeta) -> str:
    """Where a transition starts, in words: ``'draft' or 'sent'``, ``any state``."""
    words = {ANY_STATE: "any state", ANY_OTHER_STATE: "any other state"}
    return " or ".join(
        words[source] if source in WILDCARDS else repr(shown(source)) for source in meta.transitions
    )
