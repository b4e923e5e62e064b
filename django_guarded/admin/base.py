"""What every part of `TransitionAdminMixin` shares: its options and its steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest

from django_guarded.admin.steps import Step
from django_guarded.permissions import TransitionChecker

if TYPE_CHECKING:
    from django.db import models

    _Base = admin.ModelAdmin[Any]
else:
    _Base = object

__all__ = ["CONFIRM_FIELD", "GuardedAdminBase"]

#: The POST field that says the form or confirmation page was answered.
CONFIRM_FIELD = "_guarded_confirm"


class GuardedAdminBase(_Base):
    """The options of a transition admin, and what its parts ask of each other."""

    #: Per transition name, options that override the transition's ``custom`` dict.
    transition_options: ClassVar[dict[str, dict[str, Any]]] = {}
    #: ``@operation`` methods offered as buttons too, with their options and a
    #: ``permission`` (a permission string or ``callable(obj, user)``; default: the
    #: change permission). The model does not check it on the call: the admin does.
    operation_buttons: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Exceptions a transition may raise that are reported as an error message
    #: (``ValidationError`` and django-guarded's errors always are).
    transition_errors: ClassVar[tuple[type[Exception], ...]] = ()
    #: Add a changelist action per transition that needs no form.
    bulk_transition_actions: ClassVar[bool] = True
    #: Let django-guardian object permissions open objects in the admin.
    object_permissions_access: ClassVar[bool] = True
    #: Show the object's state machine, its current state marked, on the change page.
    show_state_machine: ClassVar[bool] = True
    #: How many audit records the change page shows (``0``: no audit panel).
    audit_trail_limit: ClassVar[int] = 20
    guarded_change_form_template: ClassVar[str] = "django_guarded/admin/change_form.html"
    transition_form_template: ClassVar[str] = "django_guarded/admin/transition_form.html"
    bulk_confirmation_template: ClassVar[str] = "django_guarded/admin/bulk_confirm.html"

    #: The steps (transitions and operation buttons) of this admin, by method name.
    _steps: dict[str, Step]

    def _checker(self, request: HttpRequest) -> TransitionChecker:
        """The permission checker of ``request.user``, kept on the request."""
        cached: TransitionChecker | None = getattr(request, "_django_guarded_checker", None)
        if cached is None or cached.user is not request.user:
            cached = TransitionChecker(request.user)
            request._django_guarded_checker = cached  # type: ignore[attr-defined]
        return cached

    if TYPE_CHECKING:
        # Defined by the parts that make up TransitionAdminMixin.

        def may_run(self, request: HttpRequest, step: Step, obj: models.Model) -> bool: ...
        def transition_url(self, obj: models.Model, name: str) -> str: ...
        def _change_url(self, obj: models.Model) -> str: ...
        def _may_change_some(self, request: HttpRequest) -> bool: ...
        def _uses_object_permissions(self, request: HttpRequest) -> bool: ...
        def _codenames_anywhere(self, request: HttpRequest) -> set[str]: ...
        def _run_step(
            self,
            request: HttpRequest,
            obj: models.Model,
            step: Step,
            kwargs: dict[str, Any],
            using: str,
        ) -> tuple[bool, str]: ...
