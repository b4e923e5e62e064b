"""Deletes of guarded rows, cascades included: who may, and telling the running call.

Django sends ``pre_delete`` for every row a delete removes, cascades included,
before it runs the ``DELETE``. `on_delete` is connected for every guarded model:
it stops a cascade started outside the model's own code, or inside another guarded
model's operation (permission to write one model never opens another), and tells
the running transition or operation of each row it deletes, which records it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from django_guarded._core import messages as _messages
from django_guarded._core import permission as _permission
from django_guarded.exceptions import DirectSaveError

__all__ = ["on_delete"]


def on_delete(
    sender: type[models.Model], instance: models.Model, origin: Any = None, **kwargs: Any
) -> None:
    """Refuse a delete of a guarded row that the running code may not write."""
    permission = _permission.current()
    if permission is None or permission.only is not None:
        raise DirectSaveError(_messages.cascade_delete(instance))
    model = permission.model
    if model is None or isinstance(instance, model):
        if permission.call is not None:
            permission.call.deleted(instance)
        return
    if _is_parent_part(model, sender, instance, origin):
        return  # the parent row of a multi-table child that is being deleted
    raise DirectSaveError(_messages.cascade_delete(instance))


def _is_parent_part(
    model: type[models.Model], sender: type[models.Model], instance: models.Model, origin: Any
) -> bool:
    """Whether ``instance`` is the parent row of a ``model`` object whose delete this is."""
    if sender not in model._meta.get_parent_list():
        return False
    if isinstance(origin, models.Model):
        return isinstance(origin, model) and origin.pk == instance.pk
    return isinstance(origin, models.QuerySet) and issubclass(origin.model, model)
