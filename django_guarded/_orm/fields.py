"""State fields and the ``guarded()`` marker.

The FSM fields are django-fsm-2's, minus its ``FSMFieldDescriptor``: reading a state
goes through Django's own non-data descriptor, so ``account.status`` costs the same
as reading any other field. Writes are checked by `GuardedModel.__setattr__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import django_fsm
from django.db import models
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute

from django_guarded._core.fsm import is_state_field

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = [
    "GUARDED_ATTR",
    "FSMField",
    "FSMIntegerField",
    "FSMKeyField",
    "guarded",
    "is_guarded",
    "public_path",
]

#: Attribute set on a field instance to mark it guarded.
GUARDED_ATTR = "_django_guarded"

_F = TypeVar("_F", bound="models.Field[Any, Any]")


def public_path(path: str) -> str:
    """The path a migration records for one of the package's field classes: its public
    name (``django_guarded.FSMField``), whichever private module defines it, so that a
    project's migrations never name a private module."""
    module, _, name = path.rpartition(".")
    parts = module.split(".")
    if parts[0] == "django_guarded" and len(parts) > 1 and parts[1].startswith("_"):
        return f"django_guarded.{name}"
    return path


def guarded(field: _F) -> _F:
    """Mark ``field`` as guarded and return it.

    On a `GuardedModel`, a guarded field can only be assigned
    inside the model's own ``@transition`` and ``@operation`` methods:

        signup_date = guarded(models.DateTimeField(null=True))

    Guarding changes nothing in the database, so it needs no migration.
    """
    if not isinstance(field, models.Field):
        raise TypeError(
            f"guarded() takes a model field instance, got {field!r}: "
            "write guarded(models.DateTimeField(null=True))"
        )
    setattr(field, GUARDED_ATTR, True)
    return field


def is_guarded(field: object) -> bool:
    """Whether ``field`` is an FSM state field or was marked with `guarded()`."""
    return is_state_field(field) or bool(getattr(field, GUARDED_ATTR, False))


class _GuardedStateMixin(django_fsm.FSMFieldMixin):
    # Django's own descriptor: a plain read hits the instance __dict__ at C speed.
    descriptor_class: Any = DeferredAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # ``protected`` is django-fsm-2's opt-in; here every state field is guarded.
        kwargs.pop("protected", None)
        super().__init__(*args, **kwargs)
        self.protected = False
        setattr(self, GUARDED_ATTR, True)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("protected", None)
        return name, public_path(path), args, kwargs

    def get_state(self, instance: Model) -> Any:
        try:
            return instance.__dict__[self.attname]
        except KeyError:
            return getattr(instance, self.attname)

    def set_state(self, instance: Model, state: Any) -> None:
        instance.__dict__[self.attname] = state


class FSMField(_GuardedStateMixin, django_fsm.FSMField):
    """A ``CharField`` that holds a state, changed only by ``@transition`` methods."""


class FSMIntegerField(_GuardedStateMixin, django_fsm.FSMIntegerField):
    """An ``IntegerField`` that holds a state, changed only by ``@transition`` methods."""


class FSMKeyField(_GuardedStateMixin, django_fsm.FSMKeyField):
    """A ``ForeignKey`` to a table of states, changed only by ``@transition`` methods.

    Both ``obj.state`` (the related object) and ``obj.state_id`` are guarded.
    """

    descriptor_class: Any = ForeignKeyDeferredAttribute

    def contribute_to_class(self, cls: type[Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        # django-fsm-2 puts its state descriptor on the relation's name, which hides
        # the related-object accessor; put Django's accessor back.
        setattr(cls, self.name, self.forward_related_accessor_class(self))

    def set_state(self, instance: Model, state: Any) -> None:
        value = self.to_python(state.pk if isinstance(state, models.Model) else state)
        if instance.__dict__.get(self.attname) != value and self.is_cached(instance):
            self.delete_cached_value(instance)
        instance.__dict__[self.attname] = value
