"""How records and caches name a model: its concrete model's ``app_label.modelname``."""

from __future__ import annotations

from django.db import models

__all__ = ["model_label"]


def model_label(model: type[models.Model] | models.Model) -> str:
    """The label records use for ``model``: its concrete model's ``app_label.modelname``
    (a proxy and its concrete model share it)."""
    return model._meta.concrete_model._meta.label_lower  # type: ignore[union-attr]
