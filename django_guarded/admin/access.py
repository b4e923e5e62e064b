"""Who may open, change and press what in a transition admin.

A user may open an object when they hold, globally or on that object (through
django-guardian), its ``view`` or ``change`` permission or the permission of one of
its steps. Only a ``change`` permission on the object makes it changeable, and the
model-wide answer of ``has_change_permission(request)`` stays the admin's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_permission_codename
from django.db import models
from django.http import HttpRequest

from django_guarded._core.fsm import state_fields
from django_guarded.admin.base import GuardedAdminBase
from django_guarded.admin.queries import object_codenames_anywhere, with_object_permissions
from django_guarded.admin.steps import Step

__all__ = ["AccessMixin"]


class AccessMixin(GuardedAdminBase):
    """Object-aware permissions of a transition admin."""

    def _string_permissions(self) -> set[str]:
        perms = set()
        for fsm_field in state_fields(self.model):
            for transition in fsm_field.get_all_transitions(self.model):
                if isinstance(transition.permission, str) and transition.permission:
                    perms.add(transition.permission)
        for step in self._steps.values():
            if step.kind == "operation" and isinstance(step.permission, str):
                perms.add(step.permission)
        return perms

    def _access_codenames(self) -> set[str]:
        """Object permissions that let a user open an object: view, change, or a step's."""
        opts = self.model._meta
        names = {get_permission_codename("view", opts), get_permission_codename("change", opts)}
        for perm in self._string_permissions():
            app_label, _, codename = perm.rpartition(".")
            if app_label in ("", opts.app_label):
                names.add(codename)
        return names

    def _global_step_access(self, request: HttpRequest) -> bool:
        checker = self._checker(request)
        return any(checker.has_permission(perm) for perm in sorted(self._string_permissions()))

    def _codenames_anywhere(self, request: HttpRequest) -> set[str]:
        """Codenames the user holds on at least one object of this model (django-guardian)."""
        return object_codenames_anywhere(request, self.model)

    def _uses_object_permissions(self, request: HttpRequest) -> bool:
        user = request.user
        return (
            self.object_permissions_access
            and user.is_active
            and not user.is_superuser
            and self._checker(request).uses_object_permissions
        )

    def _may_open(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if not self._uses_object_permissions(request):
            return self._global_step_access(request)
        if self._global_step_access(request):
            return True
        held = (
            self._codenames_anywhere(request)
            if obj is None
            else self._checker(request).object_permissions(obj)
        )
        return bool(held & self._access_codenames())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self._may_open(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """The admin's answer, and for one object also a ``change`` object permission.

        Without an object the answer stays the admin's own (a global permission):
        django-guardian's permission pages and ``list_editable`` trust it for every
        object, so holding ``change`` on one object must not make it yes.
        """
        if super().has_change_permission(request, obj):
            return True
        if obj is None or not self._uses_object_permissions(request):
            return False
        change = get_permission_codename("change", self.model._meta)
        return change in self._checker(request).object_permissions(obj)

    def _may_change_some(self, request: HttpRequest) -> bool:
        """Whether the user may change at least one object (globally or by object)."""
        if super().has_change_permission(request, None):
            return True
        change = get_permission_codename("change", self.model._meta)
        return self._uses_object_permissions(request) and change in self._codenames_anywhere(
            request
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._may_open(request, None)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # Rows of a guarded model are created by its manager's operations; an admin
        # that wants an add form overrides this and save_model() to call one.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting is the model's own business too: override with an operation.
        return False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        if not self._uses_object_permissions(request):
            return queryset
        opts = self.model._meta
        user = request.user
        for action in ("view", "change"):
            if user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"):
                return queryset
        if self._global_step_access(request):
            return queryset
        return with_object_permissions(user, sorted(self._access_codenames()), queryset)

    def may_run(self, request: HttpRequest, step: Step, obj: models.Model) -> bool:
        """Whether the user may run ``step`` (resolved for ``obj``) on ``obj``."""
        permission = step.permission
        if not permission:
            return self.has_change_permission(request, obj)
        checker = self._checker(request)
        if step.transition is not None:
            return checker.has_perm(step.transition, obj)
        if callable(permission):
            return bool(permission(obj, request.user))
        return checker.has_permission(str(permission), obj)
