"""The database reads of the admin mixin: object permissions and the audit trail.

Used only by the admin package; django-guardian is imported inside the
functions that need it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import BigIntegerField, Q
from django.db.models.functions import Cast
from django.http import HttpRequest

__all__ = ["audit_rows", "object_codenames_anywhere", "with_object_permissions"]


def object_codenames_anywhere(request: HttpRequest, model: type[models.Model]) -> set[str]:
    """Codenames the user holds on some object of ``model`` (django-guardian).

    The admin index asks every model admin; one query per permission table reads the
    answer for all models at once (distinct content type and codename pairs), and it
    is kept on the request.
    """
    from guardian.ctypes import get_content_type
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    user: Any = request.user
    cache: dict[Any, dict[int, set[str]]] = request.__dict__.setdefault(
        "_django_guarded_anywhere", {}
    )
    target: Any = model  # guardian's helpers take a model class as well as an instance
    ctype = get_content_type(model)
    sources: tuple[tuple[Any, dict[str, Any]], ...] = (
        (get_user_obj_perms_model(target), {"user": user}),
        (get_group_obj_perms_model(target), {"group__in": user.groups.all()}),
    )
    found: set[str] = set()
    for perm_model, owner in sources:
        by_ctype = cache.get(perm_model)
        if by_ctype is None:
            rows = (
                perm_model.objects.filter(**owner)
                .values_list("permission__content_type_id", "permission__codename")
                .distinct()
            )
            by_ctype = {}
            for ctype_id, codename in rows:
                by_ctype.setdefault(ctype_id, set()).add(codename)
            cache[perm_model] = by_ctype
        found |= by_ctype.get(ctype.pk, set())
    return found


def with_object_permissions(
    user: Any, codenames: list[str], queryset: models.QuerySet[Any]
) -> models.QuerySet[Any]:
    """The objects of ``queryset`` on which ``user`` or one of their groups holds one of
    ``codenames`` as a django-guardian object permission."""
    from guardian.ctypes import get_content_type
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    model = queryset.model
    pk = model._meta.pk
    if not isinstance(pk, models.IntegerField):
        from guardian.shortcuts import get_objects_for_user

        return get_objects_for_user(
            user,
            codenames,
            klass=queryset,
            any_perm=True,
            with_superuser=False,
            accept_global_perms=False,
        )
    # guardian's get_objects_for_user() compares CAST(pk AS char) with the text column
    # object_pk, which MySQL and MariaDB refuse when the two collations differ; cast
    # the other way: the rows are already narrowed to one user (or their groups).
    target: Any = model
    ctype = get_content_type(model)
    held = Q()
    sources: tuple[tuple[Any, dict[str, Any]], ...] = (
        (get_user_obj_perms_model(target), {"user": user}),
        (get_group_obj_perms_model(target), {"group__in": user.groups.all()}),
    )
    for perm_model, owner in sources:
        perms = perm_model.objects.filter(
            permission__content_type=ctype, permission__codename__in=codenames, **owner
        )
        if perm_model.objects.is_generic():
            ids = perms.annotate(_object_id=Cast("object_pk", BigIntegerField())).values(
                "_object_id"
            )
        else:
            ids = perms.values("content_object_id")
        held |= Q(pk__in=ids)
    return queryset.filter(held)


def audit_rows(obj: models.Model, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` audit records of ``obj``, as rows of the change page's table."""
    from django_guarded._audit.record import AuditRecord

    records = AuditRecord.objects.for_object(obj).order_by("-pk")[:limit]
    return [
        {
            "when": record.created_at,
            "who": record.actor,
            "what": f"{record.method}()",
            "change": f"{record.source} → {record.target}" if record.field else "",
        }
        for record in records
    ]
