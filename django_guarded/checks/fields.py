"""Checks of state fields and guarded fields.

``django_guarded.E002``/``W002``: transitions name states among the field's choices;
``E003``/``W003``: guarded fields and state fields only protect a ``GuardedModel``;
``E007``: ``guarded()`` cannot guard a many-to-many relation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core import checks
from django.db import models

from django_guarded._core.fsm import WILDCARDS, is_state_field
from django_guarded._orm.fields import GUARDED_ATTR, _GuardedStateMixin
from django_guarded._orm.model import GuardedModel
from django_guarded.checks.selection import models_of

__all__ = ["check_guarded_fields", "check_transitions"]


def _choice_values(field: models.Field[Any, Any]) -> set[Any] | None:
    if isinstance(field, models.ForeignKey) or not field.choices:
        return None
    return {value for value, _ in field.flatchoices}


def _target_states(value: Any) -> list[Any]:
    if hasattr(value, "allowed_states"):
        return list(value.allowed_states)
    return [] if value is None else [value]


def check_transitions(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E002/W002: transitions name states that the field's choices declare."""
    errors: list[checks.CheckMessage] = []
    for model in models_of(app_configs):
        for field in model._meta.concrete_fields:
            if not is_state_field(field):
                continue
            choices = _choice_values(field)
            if choices is None:
                continue
            for transition in field.get_all_transitions(model):
                where = f"{model.__name__}.{transition.name}()"
                for target in _target_states(transition.target) + _target_states(
                    transition.on_error
                ):
                    if target not in choices:
                        errors.append(
                            checks.Error(
                                f"{where} moves {model.__name__}.{field.name} to {target!r}, "
                                "which is not one of its choices.",
                                hint=(
                                    f"Add {target!r} to the choices of {field.name}, "
                                    "or fix the target."
                                ),
                                obj=model,
                                id="django_guarded.E002",
                            )
                        )
                if transition.source not in WILDCARDS and transition.source not in choices:
                    errors.append(
                        checks.Warning(
                            f"{where} starts from {transition.source!r}, which is not one of "
                            f"the choices of {model.__name__}.{field.name}: it can never run "
                            "from there.",
                            hint="Fix the source, or add the state to the choices.",
                            obj=model,
                            id="django_guarded.W002",
                        )
                    )
    return errors


def check_guarded_fields(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E003/W003: guarded fields only protect anything on a GuardedModel."""
    errors: list[checks.CheckMessage] = []
    for model in models_of(app_configs):
        errors += _guarded_many_to_many(model)
        if issubclass(model, GuardedModel):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, _GuardedStateMixin):
                errors.append(
                    checks.Warning(
                        f"{model._meta.label}.{field.name} is a django_guarded state field on a "
                        "model that is not a GuardedModel: assignments and save() are not guarded.",
                        hint=f"Derive {model.__name__} from django_guarded.GuardedModel.",
                        obj=model,
                        id="django_guarded.W003",
                    )
                )
            elif getattr(field, GUARDED_ATTR, False):
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} is marked guarded() but "
                        f"{model.__name__} is not a GuardedModel, so nothing guards it.",
                        hint=f"Derive {model.__name__} from django_guarded.GuardedModel.",
                        obj=model,
                        id="django_guarded.E003",
                    )
                )
    return errors


def _guarded_many_to_many(model: type[models.Model]) -> list[checks.CheckMessage]:
    """E007: ``add()``, ``set()``, ``remove()``, ``clear()`` and forms write a many-to-many
    relation through its own table, where a mark on the field guards nothing."""
    return [
        checks.Error(
            f"{model._meta.label}.{field.name} is a ManyToManyField marked guarded(), which "
            f"cannot be guarded: {model.__name__}.{field.name}.add(), .set(), .remove() and "
            ".clear(), from either side, and admin forms write its table directly.",
            hint=(
                "Remove guarded(), or declare the relation through=... a GuardedModel whose "
                "foreign keys are guarded, and create and delete its rows in that model's "
                "operations."
            ),
            obj=model,
            id="django_guarded.E007",
        )
        for field in model._meta.local_many_to_many
        if getattr(field, GUARDED_ATTR, False)
    ]
