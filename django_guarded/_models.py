"""``GuardedModel``: a model whose guarded fields only its own methods may change."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.base import DEFERRED, ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.options import Options
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import class_prepared, post_init, pre_delete, pre_init
from django.utils.functional import cached_property

from django_guarded import _audit, _guard, _messages
from django_guarded._concurrency import conditional_update, has_condition
from django_guarded._fields import is_guarded
from django_guarded._managers import GuardedManager
from django_guarded._tracking import (
    after_save,
    forget_unsaved,
    merge_reloaded,
    note_unsaved,
    snapshot,
)
from django_guarded.exceptions import DirectSaveError, GuardedFieldError

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from django_guarded.models import AuditRecordQuerySet

__all__ = ["GuardedModel"]

_Frame = _guard.Frame
_frame_get = _guard._frame.get
_may_write = _guard.may_write
_object_setattr = object.__setattr__
_current_frame = _guard.current_frame

#: Django 6.1 made ``Model._do_update()`` return the updated rows (a list, one
#: tuple per row) instead of whether a row was updated.
_UPDATE_RETURNS_ROWS = "returning_fields" in inspect.signature(models.Model._do_update).parameters


def _updated(count: int) -> Any:
    """What ``Model._do_update()`` returns after an UPDATE of ``count`` rows."""
    return [()] * count if _UPDATE_RETURNS_ROWS else count > 0


class GuardedModel(models.Model):
    """Abstract base class of models whose guarded fields only their own methods change.

    Outside a ``@transition`` or ``@operation`` method of the model (or of its
    manager or queryset), assigning a guarded field raises
    `GuardedFieldError`, and ``save()`` or ``delete()`` raise
    `DirectSaveError`. Reading is never restricted, and
    costs what it costs on any Django model.
    """

    #: Names and attnames of the guarded fields (``status``, ``state``, ``state_id``).
    _guarded_names: ClassVar[frozenset[str]] = frozenset()
    #: The names ``__setattr__`` looks at: the guarded names and every tracked attname.
    _guarded_watched: ClassVar[frozenset[str]] = frozenset()
    #: State fields declared with ``state_choices``: the instance's class follows them.
    _guarded_proxied: ClassVar[frozenset[str]] = frozenset()
    #: Attnames compared before and after an operation, to save only what changed.
    _guarded_tracked: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Attnames in ``from_db`` order when rows may be loaded without ``__init__``.
    _guarded_fast_load: ClassVar[tuple[str, ...] | None] = None

    #: ``False``: calls of this model's transitions and operations write no audit record.
    guarded_audit: ClassVar[bool] = True
    #: ``True``: saves are conditional on the state fields as loaded (optimistic
    #: locking without a version column; a ``VersionField`` implies it).
    guarded_optimistic: ClassVar[bool] = False

    class Meta:
        abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Building an instance in memory is allowed; persisting it is what is guarded.
        with _guard.enter(_Frame(type(self), only=self)):
            super().__init__(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        # Runs for every attribute write on the instance: kept to the bare minimum.
        if name in self._guarded_watched:
            frame = _frame_get()
            if (
                frame is None
                or frame.closed
                or (frame.only is not None and frame.only is not self)
                or (frame.model is not None and not isinstance(self, frame.model))
            ):
                if name in self._guarded_names:
                    if _changes(self, name, value):
                        message, short = _messages.field_write(self, name)
                        raise GuardedFieldError(message, _form_field(self, name), short)
                else:
                    note_unsaved(self, name)
            elif frame.owner is not self and frame.only is not self:
                # Allowed, but not by this instance's own running call, which
                # would save it: the next call on the instance must.
                note_unsaved(self, name)
            if name in self._guarded_proxied:
                _object_setattr(self, name, value)
                self._meta.get_field(name).set_proxy(self, value)  # type: ignore[union-attr]
                return
        _object_setattr(self, name, value)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, but only from inside the model's own transitions and operations."""
        if not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "save"))
        frame = _current_frame()
        if frame is None or frame.owner is not self or frame.snapshot is None:
            super().save(*args, **kwargs)
            forget_unsaved(self, kwargs.get("update_fields"))
            return
        before = snapshot(self)
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        forget_unsaved(self, update_fields)
        # What was just written is stored now; the rest is still the call's to save.
        frame.snapshot = after_save(self, frame.snapshot, before, update_fields)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Delete, but only from inside the model's own transitions and operations."""
        if not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "delete"))
        return super().delete(*args, **kwargs)

    delete.alters_data = True  # type: ignore[attr-defined]

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        """Reload fields from the database (always allowed: it writes what is stored)."""
        with _guard.enter(_Frame(type(self), only=self)):
            super().refresh_from_db(*args, **kwargs)
        forget_unsaved(self, kwargs.get("fields"))
        frame = _current_frame()
        if frame is not None and frame.owner is self and frame.snapshot is not None:
            # What was just read is the stored value: it is not a change to save.
            frame.snapshot = merge_reloaded(self, frame.snapshot, kwargs.get("fields"))

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Validate fields; Django's normalisation of the values is allowed."""
        with _guard.enter(_Frame(type(self), only=self)):
            super().clean_fields(exclude=exclude)

    def audit_trail(self) -> AuditRecordQuerySet:
        """This object's audit records, in the order they were written."""
        from django_guarded.models import AuditRecord

        records: AuditRecordQuerySet = AuditRecord.objects.for_object(self)
        return records

    def save_base(self, raw: bool = False, *args: Any, **kwargs: Any) -> None:
        # Refused here, before Django opens the save's transaction: a refusal from
        # _save_table() would also mark the caller's transaction for rollback.
        if not raw and not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "save"))
        adding = self._state.adding
        super().save_base(raw, *args, **kwargs)
        if adding and not raw:
            frame = _current_frame()
            if frame is not None and frame.call is not None and frame.owner is None:
                # Created by a manager operation: its record says in which state.
                _audit.note_creation(self, frame)

    save_base.alters_data = True  # type: ignore[attr-defined]

    def _save_table(self, raw: bool = False, *args: Any, **kwargs: Any) -> Any:
        # Every save of a row goes through here, also the ones that skip save():
        # ``models.Model.save(obj)``, ``super(GuardedModel, obj).save()``,
        # ``save_base()``. A raw save is a fixture being loaded (``loaddata`` calls
        # ``Model.save_base(obj, raw=True)`` on the base class): it stores the row
        # as given, and is let through.
        if raw:
            with _guard.enter(_Frame(type(self)._meta.concrete_model)):
                return super()._save_table(raw, *args, **kwargs)  # type: ignore[misc]
        if not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "save"))
        frame = _current_frame()
        if frame is not None and frame.only is self:
            # Permission for this one instance (the admin's save of its unguarded
            # fields): its own UPDATE is what the queryset check must let through.
            with _guard.enter(_Frame(type(self)._meta.concrete_model)):
                return super()._save_table(raw, *args, **kwargs)  # type: ignore[misc]
        return super()._save_table(raw, *args, **kwargs)  # type: ignore[misc]

    def _do_update(
        self, base_qs: Any, using: Any, pk_val: Any, values: Any, *args: Any, **kwargs: Any
    ) -> Any:
        # The audit record of the running method of this instance, if it waits for
        # this UPDATE (see _transitions._run_instance_method).
        frame = _current_frame()
        entry = frame.record if frame is not None and frame.owner is self else None
        if entry is not None and (
            not values
            or self._meta.select_on_save
            # Django 6.1+: fields the UPDATE must return (expressions, generated fields).
            or (args[2] if len(args) > 2 else kwargs.get("returning_fields"))
        ):
            entry = None
        if entry is None and not has_condition(type(self)):
            return super()._do_update(base_qs, using, pk_val, values, *args, **kwargs)

        def update(queryset: Any, new_values: Any) -> Any:
            if entry is not None and frame is not None:
                count = _audit.update_with_record(
                    queryset.filter(pk=pk_val), new_values, entry, using
                )
                if count is not None:
                    if count:
                        frame.record = None  # written
                    return _updated(count)
            return super(GuardedModel, self)._do_update(
                queryset, using, pk_val, new_values, *args, **kwargs
            )

        if not has_condition(type(self)):
            return update(base_qs, values)
        return conditional_update(self, base_qs, using, pk_val, values, update)

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Any:
        attnames = cls._guarded_fast_load
        if attnames is None:
            return super().from_db(db, field_names, values, **kwargs)
        # The same instance Model.__init__ would build from positional values, but
        # filled through __dict__: a load must not pay for the write check per field.
        if len(values) != len(attnames):
            values_iter = iter(values)
            values = [
                next(values_iter) if attname in field_names else DEFERRED for attname in attnames
            ]
        if pre_init.receivers:
            pre_init.send(sender=cls, args=tuple(values), kwargs={})
        new = cls.__new__(cls)
        state = ModelState()
        state.adding = False
        state.db = db
        fetch_mode = kwargs.get("fetch_mode")
        if fetch_mode is not None:
            state.fetch_mode = fetch_mode
        data = new.__dict__
        data["_state"] = state
        for attname, value in zip(attnames, values, strict=True):
            if value is not DEFERRED:
                data[attname] = value
        if cls._guarded_proxied:
            _follow_state_proxies(new)
        post_init.send(sender=cls, instance=new)
        return new


def _form_field(instance: models.Model, name: str) -> str:
    """The name a form uses for the field that ``name`` (a name or an attname) belongs to."""
    for field in instance._meta.concrete_fields:
        if name == field.attname:
            return field.name
    return name


def _follow_state_proxies(instance: models.Model) -> None:
    """Give a loaded instance the proxy class its states name (``state_choices``)."""
    for field in instance._meta.concrete_fields:
        if getattr(field, "state_proxy", None) and field.attname in instance.__dict__:
            field.set_proxy(instance, instance.__dict__[field.attname])  # type: ignore[attr-defined]


def _changes(instance: models.Model, name: str, value: Any) -> bool:
    """Whether assigning ``value`` to ``name`` would change the instance.

    Writing the value a field already holds is not a change: a form that shows a
    guarded field, unchanged, can still assign it back.
    """
    data = instance.__dict__
    if name in data:
        current = data[name]
        try:
            return not (current is value or bool(current == value))
        except Exception:  # values that refuse to compare count as a change
            return True
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.name == name and field.attname in data:
            return bool(getattr(value, "pk", value) != data[field.attname])
    return True


def _fast_load_attnames(cls: type[GuardedModel]) -> tuple[str, ...] | None:
    if cls.__init__ is not GuardedModel.__init__:
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


def _allow_peer_fetch(cls: type[models.Model], attname: str) -> None:
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
            with _guard.enter(_Frame(type(instances[0])._meta.concrete_model)):
                base.fetch_many(self, instances)

        subclass = type(
            f"Guarded{base.__name__}",
            (base,),
            {"fetch_many": fetch_many, "_django_guarded_fetch": True, "__module__": __name__},
        )
        _PEER_FETCH_CLASSES[base] = subclass
    descriptor.__class__ = subclass


_PEER_FETCH_CLASSES: dict[type, type] = {}


def _on_delete(
    sender: type[models.Model], instance: models.Model, origin: Any = None, **kwargs: Any
) -> None:
    """Refuse a delete of a guarded row that the running code may not write; record one
    made by a transition or operation, in the transaction of the delete.

    Django sends ``pre_delete`` for every row a delete removes, cascades included,
    before it runs the ``DELETE``: this is where a cascade started inside another
    model's operation is stopped. Permission to write one model never opens another.
    """
    frame = _current_frame()
    if frame is None or frame.only is not None:
        raise DirectSaveError(_messages.cascade_delete(instance))
    model = frame.model
    if model is None or isinstance(instance, model):
        owner = frame.owner
        if owner is not None and type(owner) is type(instance) and owner.pk == instance.pk:
            frame.owner_deleted = True  # the call's own record says so
        elif frame.call is not None and _audit.is_audited(type(instance)):
            _audit.record_deletion(instance, frame.call)
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


def _check_setattr_order(model: type[GuardedModel]) -> None:
    mro = model.__mro__
    for klass in mro[mro.index(GuardedModel) + 1 : -1]:
        if "__setattr__" in klass.__dict__:
            raise ImproperlyConfigured(
                f"{model.__name__} inherits {klass.__name__}.__setattr__ after GuardedModel: "
                f"list {klass.__name__} before GuardedModel in the bases of {model.__name__}, "
                "so that both run"
            )


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


def _prepare_guarded_model(sender: type[models.Model], **kwargs: Any) -> None:
    if not issubclass(sender, GuardedModel) or sender._meta.abstract:
        return
    _check_setattr_order(sender)
    if type(sender._meta) is Options:
        sender._meta.__class__ = _GuardedOptions
        sender._meta.__dict__.pop("base_manager", None)
    names: set[str] = set()
    tracked = []
    for field in sender._meta.concrete_fields:
        if is_guarded(field):
            names.update((field.name, field.attname))
            _allow_peer_fetch(sender, field.attname)
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
    sender._guarded_fast_load = _fast_load_attnames(sender)
    pre_delete.connect(
        _on_delete,
        sender=sender,
        weak=False,
        dispatch_uid=f"django_guarded:{sender._meta.label}",
    )


class_prepared.connect(_prepare_guarded_model, dispatch_uid="django_guarded.prepare")
