"""``GuardedModel``: a model whose guarded fields only its own methods may change."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.base import DEFERRED, ModelState
from django.db.models.signals import post_init, pre_init

from django_guarded._core import messages as _messages
from django_guarded._core import permission as _permission
from django_guarded._orm import preparing
from django_guarded._orm.concurrency import conditional_update, has_condition
from django_guarded._orm.loading import follow_state_proxies
from django_guarded._orm.tracking import (
    after_save,
    forget_unsaved,
    merge_reloaded,
    note_unsaved,
    snapshot,
)
from django_guarded.exceptions import DirectSaveError, GuardedFieldError

if TYPE_CHECKING:
    from collections.abc import Collection

    from django_guarded._audit.record import AuditRecordQuerySet

__all__ = ["GuardedModel"]

_Permission = _permission.Permission
_permission_get = _permission.get_raw
_may_write = _permission.may_write
_object_setattr = object.__setattr__
_current = _permission.current

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
        with _permission.enter(_Permission(type(self), only=self)):
            super().__init__(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        # Runs for every attribute write on the instance: kept to the bare minimum.
        if name in self._guarded_watched:
            permission = _permission_get()
            if (
                permission is None
                or permission.closed
                or (permission.only is not None and permission.only is not self)
                or (permission.model is not None and not isinstance(self, permission.model))
            ):
                if name in self._guarded_names:
                    if _changes(self, name, value):
                        message, short = _messages.field_write(self, name)
                        raise GuardedFieldError(message, _form_field(self, name), short)
                else:
                    note_unsaved(self, name)
            elif permission.owner is not self and permission.only is not self:
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
        call = _own_call(self)
        if call is None or call.baseline is None:
            super().save(*args, **kwargs)
            forget_unsaved(self, kwargs.get("update_fields"))
            return
        before = snapshot(self)
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        forget_unsaved(self, update_fields)
        # What was just written is stored now; the rest is still the call's to save.
        call.baseline = after_save(self, call.baseline, before, update_fields)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Delete, but only from inside the model's own transitions and operations."""
        if not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "delete"))
        return super().delete(*args, **kwargs)

    delete.alters_data = True  # type: ignore[attr-defined]

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        """Reload fields from the database (always allowed: it writes what is stored)."""
        with _permission.enter(_Permission(type(self), only=self)):
            super().refresh_from_db(*args, **kwargs)
        forget_unsaved(self, kwargs.get("fields"))
        call = _own_call(self)
        if call is not None and call.baseline is not None:
            # What was just read is the stored value: it is not a change to save.
            call.baseline = merge_reloaded(self, call.baseline, kwargs.get("fields"))

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Validate fields; Django's normalisation of the values is allowed."""
        with _permission.enter(_Permission(type(self), only=self)):
            super().clean_fields(exclude=exclude)

    def audit_trail(self) -> AuditRecordQuerySet:
        """This object's audit records, in the order they were written."""
        try:
            record_model = django_apps.get_model("django_guarded", "AuditRecord")
        except LookupError:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.audit_trail() reads the audit trail, which lives in the "
                'django_guarded app: add "django_guarded" to INSTALLED_APPS and run migrate'
            ) from None
        records: AuditRecordQuerySet = record_model.objects.for_object(self)
        return records

    def save_base(self, raw: bool = False, *args: Any, **kwargs: Any) -> None:
        # Refused here, before Django opens the save's transaction: a refusal from
        # _save_table() would also mark the caller's transaction for rollback.
        if not raw and not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "save"))
        adding = self._state.adding
        super().save_base(raw, *args, **kwargs)
        if adding and not raw:
            permission = _current()
            if permission is not None and permission.call is not None:
                permission.call.created(self)

    save_base.alters_data = True  # type: ignore[attr-defined]

    def _save_table(self, raw: bool = False, *args: Any, **kwargs: Any) -> Any:
        # Every save of a row goes through here, also the ones that skip save():
        # ``models.Model.save(obj)``, ``super(GuardedModel, obj).save()``,
        # ``save_base()``. A raw save is a fixture being loaded (``loaddata`` calls
        # ``Model.save_base(obj, raw=True)`` on the base class): it stores the row
        # as given, and is let through.
        if raw:
            with _permission.enter(_Permission(type(self)._meta.concrete_model)):
                return super()._save_table(raw, *args, **kwargs)  # type: ignore[misc]
        if not _may_write(self):
            raise DirectSaveError(_messages.direct_save(self, "save"))
        permission = _current()
        if permission is not None and permission.only is self:
            # Permission for this one instance (the admin's save of its unguarded
            # fields): its own UPDATE is what the queryset check must let through.
            with _permission.enter(_Permission(type(self)._meta.concrete_model)):
                return super()._save_table(raw, *args, **kwargs)  # type: ignore[misc]
        return super()._save_table(raw, *args, **kwargs)  # type: ignore[misc]

    def _do_update(
        self, base_qs: Any, using: Any, pk_val: Any, values: Any, *args: Any, **kwargs: Any
    ) -> Any:
        # The audit record of the running call of this instance, if it waits for
        # this UPDATE: the two are sent as one statement where the database can.
        call = _own_call(self)
        pending = call.pending if call is not None else None
        if pending is not None and (
            pending.written  # by the UPDATE of another table of a multi-table model
            or not values
            or self._meta.select_on_save
            # Django 6.1+: fields the UPDATE must return (expressions, generated fields).
            or (args[2] if len(args) > 2 else kwargs.get("returning_fields"))
        ):
            pending = None
        if pending is None and not has_condition(type(self)):
            return super()._do_update(base_qs, using, pk_val, values, *args, **kwargs)

        def update(queryset: Any, new_values: Any) -> Any:
            if pending is not None:
                count = pending.write_with_update(queryset.filter(pk=pk_val), new_values, using)
                if count is not None:
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
            follow_state_proxies(new)
        post_init.send(sender=cls, instance=new)
        return new


def _form_field(instance: models.Model, name: str) -> str:
    """The name a form uses for the field that ``name`` (a name or an attname) belongs to."""
    for field in instance._meta.concrete_fields:
        if name == field.attname:
            return field.name
    return name


def _own_call(instance: models.Model) -> _permission.ActiveCall | None:
    """The running transition or operation of ``instance`` itself, if any."""
    permission = _current()
    return permission.call_of(instance) if permission is not None else None


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


preparing.connect(GuardedModel)
