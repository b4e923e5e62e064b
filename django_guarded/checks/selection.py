"""Which models a check looks at: those of the app configs it is given, or all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps as django_apps
from django.db import models

__all__ = ["models_of"]


def models_of(app_configs: Sequence[Any] | None) -> Iterable[type[models.Model]]:
    """The models of ``app_configs``, or of every installed app when it is ``None``."""
    if app_configs is None:
        return django_apps.get_models()
    return (model for config in app_configs for model in config.get_models())
