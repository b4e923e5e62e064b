"""How the admin's messages name an object, its states and an error."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from django_guarded._core.fsm import state_fields

__all__ = ["describe", "error_text", "states"]


def describe(obj: models.Model) -> str:
    return f"{obj._meta.verbose_name} “{obj}”"


def states(obj: models.Model) -> str:
    parts = []
    for fsm_field in state_fields(type(obj)):
        value = fsm_field.get_state(obj)
        label = dict(fsm_field.flatchoices).get(value, value) if fsm_field.choices else value
        parts.append(f"{fsm_field.verbose_name} “{label}”")
    return ", ".join(parts)


def error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error)
