"""``django_guarded.E001`` and ``W001``: every manager of a guarded model is guarded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core import checks

from django_guarded._orm.managers import GuardedQuerySet
from django_guarded._orm.model import GuardedModel
from django_guarded.checks.selection import models_of

__all__ = ["check_managers"]


def _is_guarded_queryset_manager(manager: Any) -> bool:
    try:
        return isinstance(manager.get_queryset(), GuardedQuerySet)
    except Exception:  # a manager that cannot build a queryset offline
        return issubclass(getattr(manager, "_queryset_class", object), GuardedQuerySet)


def check_managers(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """E001/W001: every manager of a guarded model must be guarded."""
    errors: list[checks.CheckMessage] = []
    for model in models_of(app_configs):
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
