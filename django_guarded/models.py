"""The models of the ``django_guarded`` app: the audit trail's `AuditRecord`.

Defined in ``django_guarded._audit.record``; Django looks for an app's models here.
"""

from __future__ import annotations

from django_guarded._audit.record import AuditRecord, AuditRecordManager, AuditRecordQuerySet
from django_guarded._core.labels import model_label

__all__ = ["AuditRecord", "AuditRecordManager", "AuditRecordQuerySet", "model_label"]
