"""Getting each concrete guarded model ready once its class exists (``class_prepared``).

For every model that derives from `GuardedModel` this works out, once, what the hot
paths look up per instance: which names are guarded, which fields a call tracks,
whether rows load without ``__init__``; it gives the model a guarded base manager,
and connects the delete check. The receiver is connected when ``GuardedModel`` is
defined (`connect`), before any model derived from it can be.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.options import Options
from django.db.models.signals import class_prepared, pre_delete
from django.utils.functional import cached_property

from django_guarded._orm.deleting import on_delete
from django_guarded._orm.fields import is_guarded
from django_guarded._orm.loading import allow_peer_fetch, fast_load_attnames
from django_guarded._orm.managers import GuardedManager

__all__ = ["connect"]


class _GuardedOptions(Options):  # type: ignore[type-arg]
    """A guarded model's ``_meta``: its base manager is guarded too.

    Django reaches rows through ``Model._base_manager`` where the default manager
    might filter them out, and a reverse relation's ``add()`` writes through it: a
    plain manager there would be a way around the guard.
    """

    @cached_property
    def base_manager(self) -> Any:
        if self.base_manager_name:
            return Options.base_manager.func(self)  # type: ignore[attr-defined]
        manager: GuardedManager[Any] = GuardedManager()
        manager.name = "_base_manager"
        manager.model = self.model
        manager.auto_created = True
        return manager


def _check_setattr_order(model: type[models.Model], base: type[models.Model]) -> None:
    mro = model.__mro__
    for klass in mro[mro.index(base) + 1 : -1]:
        if "__setattr__" in klass.__dict__:
            raise ImproperlyConfigured(
                f"{model.__name__} inherits {klass.__name__}.__setattr__ after "
                f"{base.__name__}: list {klass.__name__} before {base.__name__} in the bases "
                f"of {model.__name__}, so that both run"
            )


def _prepare(sender: type[Any], base: type[models.Model]) -> None:
    _check_setattr_order(sender, base)
    if type(sender._meta) is Options:
        sender._meta.__class__ = _GuardedOptions
        sender._meta.__dict__.pop("base_manager", None)
    names: set[str] = set()
    tracked = []
    for field in sender._meta.concrete_fields:
        if is_guarded(field):
            names.update((field.name, field.attname))
            allow_peer_fetch(sender, field.attname)
        if not field.primary_key and not getattr(field, "generated", False):
            tracked.append((field.attname, field.name))
    sender._guarded_names = frozenset(names)
    sender._guarded_tracked = tuple(tracked)
    sender._guarded_watched = frozenset(names) | {attname for attname, _ in tracked}
    sender._guarded_proxied = frozenset(
        name
        for field in sender._meta.concrete_fields
        if getattr(field, "state_proxy", None)
        for name in (field.name, field.attname)
    )
    sender._guarded_fast_load = fast_load_attnames(sender, base.__init__)
    pre_delete.connect(
        on_delete,
        sender=sender,
        weak=False,
        dispatch_uid=f"django_guarded:{sender._meta.label}",
    )


def connect(base: type[models.Model]) -> None:
    """Prepare every concrete model derived from ``base`` when its class is ready."""

    def prepare(sender: type[models.Model], **kwargs: Any) -> None:
        if issubclass(sender, base) and not sender._meta.abstract:
            _prepare(sender, base)

    class_prepared.connect(prepare, weak=False, dispatch_uid="django_guarded.prepare")
