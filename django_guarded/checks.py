"""System checks for guarded models (ids ``django_guarded.E0xx`` and ``W0xx``).

======================  =========================================================
``django_guarded.E001``  A guarded model's default manager is not guarded.
``django_guarded.W001``  Another manager of a guarded model is not guarded.
``django_guarded.E002``  A transition's target is not among the field's choices.
``django_guarded.W002``  A transition's source is not among the field's choices.
``django_guarded.E003``  ``guarded()`` is used on a model that is not a GuardedModel.
``django_guarded.W003``  A django-guarded FSM field is on a model that is not a GuardedModel.
``django_guarded.E004``  A state field's default is not among its choices.
``django_guarded.W004``  A state can never be reached from the states the machine starts in.
``django_guarded.W005``  A state has no way out: no chain of transitions leads to an end.
``django_guarded.E005``  A transition's name means something else: overridden, or shared.
``django_guarded.E006``  ``guarded_initial_states`` or ``guarded_final_states`` is wrong.
``django_guarded.E007``  ``guarded()`` is used on a many-to-many field, which it cannot guard.
``django_guarded.W006``  A guarded model is registered with an admin without the transition mixin.
======================  =========================================================

E004 to E006, W004 and W005 live in `django_guarded._graph_checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import django_fsm
from django.apps import apps as django_apps
from django.core import checks
from django.db import models

from django_guarded._fields import GUARDED_ATTR, _GuardedStateMixin
from django_guarded._managers import GuardedQuerySet
from django_guarded._models import GuardedModel

_WILDCARDS = {"*", "+"}


def _models(app_configs: Sequence[Any] | None) -> Iterable[type[models.Model]]:
    if app_configs is None:
        return django_apps.get_models()
    return (model for config in app_configs for model in config.get_models())


def _is_guarded_queryset_manager(manager: Any) -> bool:
    try:
        return isinstance(manager.get_queryset(), GuardedQuerySet)
    except Exception:  # a manager that cannot build a queryset offline
        return issubclass(getattr(manager, "_queryset_class", object), GuardedQuerySet)


@checks.register(checks.Tags.models)
def check_managers(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E001/W001: every manager of a guarded model must be guarded."""
    errors: list[checks.CheckMessage] = []
    for model in _models(app_configs):
        if not issubclass(model, GuardedModel):
            continue
        default = model._meta.default_manager
        for manager in model._meta.managers:
            if _is_guarded_queryset_manager(manager):
                continue
            is_default = manager is default
            errors.append(
                (checks.Error if is_default else checks.Warning)(
                    f"{model._meta.label}.{manager.name} is a {type(manager).__name__}, "
                    f"so {model.__name__}.{manager.name}.create(), .update() and .delete() "
                    "bypass the guard.",
                    hint="Derive the manager from django_guarded.GuardedManager "
                    "(or its queryset from GuardedQuerySet).",
                    obj=model,
                    id="django_guarded.E001" if is_default else "django_guarded.W001",
                )
            )
    return errors


def _choice_values(field: models.Field[Any, Any]) -> set[Any] | None:
    if isinstance(field, django_fsm.FSMKeyField) or not field.choices:
        return None
    return {value for value, _ in field.flatchoices}


def _states(value: Any) -> list[Any]:
    if isinstance(value, django_fsm.State):
        return list(value.allowed_states)
    return [] if value is None else [value]


@checks.register(checks.Tags.models)
def check_transitions(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E002/W002: transitions name states that the field's choices declare."""
    errors: list[checks.CheckMessage] = []
    for model in _models(app_configs):
        for field in model._meta.concrete_fields:
            if not isinstance(field, django_fsm.FSMFieldMixin):
                continue
            choices = _choice_values(field)
            if choices is None:
                continue
            for transition in field.get_all_transitions(model):
                where = f"{model.__name__}.{transition.name}()"
                for target in _states(transition.target) + _states(transition.on_error):
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
                if transition.source not in _WILDCARDS and transition.source not in choices:
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


@checks.register(checks.Tags.models)
def check_guarded_fields(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E003/W003: guarded fields only protect anything on a GuardedModel."""
    errors: list[checks.CheckMessage] = []
    for model in _models(app_configs):
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


@checks.register(checks.Tags.admin)
def check_admin_registrations(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """W006: a plain ``ModelAdmin`` of a guarded model edits guarded fields and calls
    ``save()``, which the guard refuses: its change form cannot save anything."""
    if not django_apps.is_installed("django.contrib.admin"):
        return []
    from django.contrib.admin.sites import all_sites

    from django_guarded.admin import TransitionAdminMixin

    wanted = None if app_configs is None else {config.label for config in app_configs}
    errors: list[checks.CheckMessage] = []
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if not issubclass(model, GuardedModel) or isinstance(model_admin, TransitionAdminMixin):
                continue
            if wanted is not None and model._meta.app_label not in wanted:
                continue
            errors.append(
                checks.Warning(
                    f"{model._meta.label} is registered in the admin site {site.name!r} with "
                    f"{type(model_admin).__name__}, which is not a TransitionAdminMixin: its "
                    f"change form offers the guarded fields and saves with "
                    f"{model.__name__}.save(), which raises DirectSaveError.",
                    hint="Put django_guarded.admin.TransitionAdminMixin first in the admin's "
                    "bases (or use TransitionAdmin).",
                    obj=type(model_admin),
                    id="django_guarded.W006",
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


from django_guarded import _graph_checks  # noqa: E402, F401 - registers the graph checks
