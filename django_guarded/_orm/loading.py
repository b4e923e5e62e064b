"""Loading rows of a guarded model without paying for the write check per field.

Rows loaded from the database are filled straight into the instance ``__dict__``
(`GuardedModel.from_db`) when nothing of the model needs to see the values go in:
`fast_load_attnames` decides that once per class. Django 6.1's ``FETCH_PEERS`` mode
loads a deferred field on many instances at once; `allow_peer_fetch` gives that
load the permission a single instance's refresh has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

from django_guarded._core import permission as _permission

__all__ = ["allow_peer_fetch", "fast_load_attnames", "follow_state_proxies"]


def follow_state_proxies(instance: models.Model) -> None:
    """Give a loaded instance the proxy class its states name (``state_choices``)."""
    for field in instance._meta.concrete_fields:
        if getattr(field, "state_proxy", None) and field.attname in instance.__dict__:
            field.set_proxy(instance, instance.__dict__[field.attname])  # type: ignore[attr-defined]


def fast_load_attnames(cls: type[models.Model], base_init: Any) -> tuple[str, ...] | None:
    """The attnames ``from_db`` fills directly, in its order, or ``None`` when the model
    must build its instances through ``__init__`` (``base_init`` is the guarded base
    class's own ``__init__``)."""
    if cls.__init__ is not base_init:
        return None  # the model builds its instances itself: respect that
    attnames = []
    for field in cls._meta.concrete_fields:
        descriptor = cls.__dict__.get(field.attname)
        if descriptor is None:
            for klass in cls.__mro__:
                if field.attname in klass.__dict__:
                    descriptor = klass.__dict__[field.attname]
                    break
        if hasattr(type(descriptor), "__set__") and not isinstance(
            descriptor, ForeignKeyDeferredAttribute
        ):
            return None  # a descriptor with its own write logic must see the value
        attnames.append(field.attname)
    return tuple(attnames)


def allow_peer_fetch(cls: type[models.Model], attname: str) -> None:
    """Let Django 6.1's FETCH_PEERS mode load a deferred guarded field on peers."""
    descriptor = cls.__dict__.get(attname)
    if not isinstance(descriptor, DeferredAttribute) or not hasattr(descriptor, "fetch_many"):
        return
    base = type(descriptor)
    if getattr(base, "_django_guarded_fetch", False):
        return
    subclass = _PEER_FETCH_CLASSES.get(base)
    if subclass is None:

        def fetch_many(self: Any, instances: Sequence[models.Model]) -> None:
            model = type(instances[0])._meta.concrete_model
            with _permission.enter(_permission.Permission(model)):
                base.fetch_many(self, instances)

        subclass = type(
            f"Guarded{base.__name__}",
            (base,),
            {"fetch_many": fetch_many, "_django_guarded_fetch": True, "__module__": __name__},
        )
        _PEER_FETCH_CLASSES[base] = subclass
    descriptor.__class__ = subclass


_PEER_FETCH_CLASSES: dict[type, type] = {}
