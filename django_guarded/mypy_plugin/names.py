"""The fully qualified names the plugin recognises: where the package defines them.

A test checks each against the real object, so that moving a class fails a test.
"""

from __future__ import annotations

__all__ = [
    "FOREIGN_KEY",
    "GUARDED",
    "METADATA",
    "MODEL",
    "OPERATION",
    "OWNERS",
    "STATE_FIELD",
    "TRANSITION",
    "UNGUARDED",
]

MODEL = "django_guarded._orm.model.GuardedModel"
STATE_FIELD = "django_guarded._orm.fields._GuardedStateMixin"
GUARDED = "django_guarded._orm.fields.guarded"
TRANSITION = "django_guarded._engine.decorators.transition"
OPERATION = "django_guarded._engine.decorators.operation"
UNGUARDED = "django_guarded._core.permission.unguarded"
FOREIGN_KEY = "django.db.models.fields.related.ForeignKey"
OWNERS = (
    # django-guarded's own first: mypy cannot follow GuardedManager's dynamic base.
    "django_guarded._orm.managers.GuardedManager",
    "django_guarded._orm.managers.GuardedQuerySet",
    "django.db.models.manager.BaseManager",
    "django.db.models.query.QuerySet",
)

#: Key of what the plugin learns about a model in ``TypeInfo.metadata`` (kept in
#: mypy's cache, where class bodies are not).
METADATA = "django_guarded"
