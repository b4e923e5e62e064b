"""The audit trail: one `AuditRecord` per transition and operation.

Records are written by django-guarded itself, in the transaction of the call they
describe, and are never changed afterwards: ``save()`` of a stored record,
``delete()``, and queryset ``update()``/``delete()`` raise
`AppendOnlyError`, and database triggers (migration
``0002``) reject ``UPDATE``, ``DELETE`` and, on PostgreSQL, ``TRUNCATE`` of the
table, so raw SQL cannot rewrite history either.

Django finds the model through ``django_guarded.models``, which imports it from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from django_guarded._core.labels import model_label
from django_guarded._orm.managers import GuardedManager, GuardedQuerySet
from django_guarded._orm.model import GuardedModel
from django_guarded.exceptions import AppendOnlyError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["AuditRecord", "AuditRecordManager", "AuditRecordQuerySet"]

_APPEND_ONLY = (
    "AuditRecord rows are append-only: the audit trail cannot be {action}. "
    "Record a correcting transition or operation instead."
)


class AuditRecordQuerySet(GuardedQuerySet["AuditRecord"]):
    """Reads of the audit trail; every way to change or delete records raises."""

    def for_object(self, obj: models.Model) -> AuditRecordQuerySet:
        """The records of one object, in the order they were written."""
        return self.filter(model=model_label(obj), object_pk=str(obj.pk)).order_by("id")

    def for_model(self, model: type[models.Model]) -> AuditRecordQuerySet:
        """The records of every object of ``model`` (and of its proxies)."""
        return self.filter(model=model_label(model))

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_APPEND_ONLY.format(action="updated (queryset update())"))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_APPEND_ONLY.format(action="deleted (queryset delete())"))

    def bulk_update(self, objs: Iterable[Any], fields: Any, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError(_APPEND_ONLY.format(action="updated (bulk_update())"))

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[AuditRecord, bool]:
        raise AppendOnlyError(_APPEND_ONLY.format(action="updated (update_or_create())"))

    update.alters_data = True  # type: ignore[attr-defined]
    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditRecordManager(GuardedManager.from_queryset(AuditRecordQuerySet)):  # type: ignore[misc]
    """Only django-guarded creates records (and test setup inside ``unguarded()``)."""


class AuditRecord(GuardedModel):
    """One transition or operation that changed a guarded model, as it committed.

    ``object_pk`` is text, so integer, UUID and string primary keys all fit. The
    actor is kept as text (``str(by)``) plus the model label and primary key of
    ``by`` when it is a model instance: no foreign key, so a custom
    ``AUTH_USER_MODEL`` works and deleting a user never needs to touch history.
    """

    class Kind(models.TextChoices):
        TRANSITION = "transition", "transition"
        OPERATION = "operation", "operation"
        BULK_TRANSITION = "bulk_transition", "bulk transition"
        CREATION = "creation", "creation"
        DELETION = "deletion", "deletion"

    created_at = models.DateTimeField(
        help_text="The configured clock's time, or the asof= of the call."
    )
    model = models.CharField(max_length=255, help_text="app_label.modelname of the object.")
    object_pk = models.CharField(
        max_length=255, blank=True, help_text="Primary key of the object, as text."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    method = models.CharField(max_length=100)
    field = models.CharField(max_length=100, blank=True, help_text="The state field, if any.")
    # NULL is "no state" (an operation), which the empty string cannot say: it may be a state.
    source = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    target = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    actor = models.CharField(max_length=255, blank=True, help_text="str() of by=.")
    actor_model = models.CharField(max_length=255, blank=True)
    actor_pk = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects: ClassVar[AuditRecordManager] = AuditRecordManager()

    # The records themselves are not audited.
    guarded_audit: ClassVar[bool] = False

    class Meta:
        verbose_name = "audit record"
        # Django's internal lookups use the base manager: it must refuse writes too.
        base_manager_name = "objects"
        # object_pk first: its values differ early, so index comparisons stop sooner than
        # on the model label every record of a model shares (bulk inserts are faster).
        indexes = [
            models.Index(fields=["object_pk", "model", "id"], name="django_guarded_audit_object"),
        ]

    def __str__(self) -> str:
        change = f" {self.source} -> {self.target}" if self.field else ""
        actor = f" by {self.actor}" if self.actor else ""
        return f"{self.model} {self.object_pk}: {self.method}(){change}{actor} at {self.created_at}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new record; a stored record can never be saved again."""
        if not self._state.adding:
            raise AppendOnlyError(_APPEND_ONLY.format(action="changed (save() of a stored record)"))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Always raises `AppendOnlyError`."""
        raise AppendOnlyError(_APPEND_ONLY.format(action="deleted (delete())"))

    delete.alters_data = True  # type: ignore[attr-defined]
