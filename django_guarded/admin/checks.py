"""``django_guarded.W006``: a guarded model registered with a plain ``ModelAdmin``.

Registered by the app's ``ready()`` when ``django.contrib.admin`` is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.admin.sites import all_sites
from django.core import checks

from django_guarded._orm.model import GuardedModel
from django_guarded.admin.options import TransitionAdminMixin

__all__ = ["check_admin_registrations"]


def check_admin_registrations(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """W006: a plain ``ModelAdmin`` of a guarded model edits guarded fields and calls
    ``save()``, which the guard refuses: its change form cannot save anything."""
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
