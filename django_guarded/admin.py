"""Django admin support: transition buttons that cannot be forged.

`TransitionAdminMixin` goes first in a ``ModelAdmin``'s bases, alone or in
front of django-guardian's ``GuardedModelAdmin``:

    @admin.register(Claim)
    class ClaimAdmin(TransitionAdminMixin, GuardedModelAdmin):
        list_display = ["title", "state"]

It shows one button per transition the object can take now and the user may run,
runs it through a POST-only, CSRF-protected view that checks everything again on
the server, makes guarded fields read-only, adds one changelist action per
transition, lets staff with django-guardian object permissions open exactly the
objects they hold them on, and shows the object's audit trail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import django_fsm
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseRedirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from django_guarded import _guard
from django_guarded._admin_queries import (
    audit_rows,
    object_codenames_anywhere,
    with_object_permissions,
)
from django_guarded._admin_steps import Step, declared_steps, resolve_step
from django_guarded._fields import is_guarded
from django_guarded.exceptions import GuardedError
from django_guarded.permissions import TransitionChecker, state_fields

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Any]
else:
    _Base = object

__all__ = ["TransitionAdmin", "TransitionAdminMixin"]

#: The POST field that says the form or confirmation page was answered.
CONFIRM_FIELD = "_guarded_confirm"


class TransitionAdminMixin(_Base):
    """Transition buttons, read-only guarded fields and object-aware permissions.

    Who may press a button: for a transition with a ``permission``, whoever holds it
    (on the object, through django-guardian, or globally); for one without, whoever
    may change the object. The transition view checks availability and permission
    again, runs ``obj.<transition>(by=request.user, **form.cleaned_data)``, logs a
    ``LogEntry`` and reports the outcome as a message.

    Options of a transition come from its ``custom`` dict: ``label``, ``help_text``,
    ``form`` (a ``Form`` class or its dotted path; its ``cleaned_data`` become the
    method's keyword arguments), ``confirm`` (``True`` or the question to ask),
    ``admin`` (``False`` hides it from the admin entirely) and ``bulk`` (``False``:
    no changelist action). ``transition_options`` overrides them per admin.
    """

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._steps = declared_steps(self.model, self.transition_options, self.operation_buttons)
        if self.bulk_transition_actions and self.actions is not None:
            bulk = [
                _bulk_action(step)
                for step in self._steps.values()
                if step.kind == "transition" and step.bulk and step.form_class is None
            ]
            self.actions = [*(self.actions or ()), *bulk]

    # -- URLs -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        ours = [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{opts.app_label}_{opts.model_name}_transition",
            )
        ]
        # Before the admin's catch-all "<path:object_id>/" redirect.
        return ours + list(super().get_urls())

    def transition_url(self, obj: models.Model, name: str) -> str:
        """The URL that a button of ``name`` for ``obj`` posts to."""
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_transition",
            args=[quote(obj.pk), name],
        )

    def _change_url(self, obj: models.Model) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
        )

    # -- Permissions ----------------------------------------------------------------------

    def _checker(self, request: HttpRequest) -> TransitionChecker:
        cached: TransitionChecker | None = getattr(request, "_django_guarded_checker", None)
        if cached is None or cached.user is not request.user:
            cached = TransitionChecker(request.user)
            request._django_guarded_checker = cached  # type: ignore[attr-defined]
        return cached

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

    # -- The change form ------------------------------------------------------------------

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        for model_field in self.model._meta.concrete_fields:
            if is_guarded(model_field) and model_field.name not in fields:
                fields.append(model_field.name)
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Save the edited fields that are not guarded, and nothing else."""
        if not change:
            raise PermissionDenied(
                f"{self.model.__name__} objects are created by their manager's operations; "
                "override save_model() to call one"
            )
        if not self.has_change_permission(request, obj):
            raise PermissionDenied(f"{request.user} may not change {_describe(obj)}")
        editable = {
            f.name
            for f in self.model._meta.concrete_fields
            if not is_guarded(f) and not f.primary_key
        }
        fields = [name for name in form.changed_data if name in editable]
        if fields:
            # Only these columns are written: a guarded value on the instance, however
            # it got there, never reaches the database through this path.
            with _guard.enter(_guard.Frame(type(obj), only=obj)):
                obj.save(update_fields=fields)

    def get_changelist_formset(self, request: HttpRequest, **kwargs: Any) -> Any:
        """``list_editable``'s formset, whose rows the user may not change are read-only.

        Django 6.1 leaves such rows out itself; Django 5.2 would save them.
        """
        formset = super().get_changelist_formset(request, **kwargs)
        model_admin = self

        class RowsTheUserMayChange(formset):  # type: ignore[misc, valid-type]
            def _construct_form(self, i: int, **form_kwargs: Any) -> Any:
                form = super()._construct_form(i, **form_kwargs)
                if form.instance.pk is not None and not model_admin.has_change_permission(
                    request, form.instance
                ):
                    for name in model_admin.list_editable:
                        if name in form.fields:
                            form.fields[name].disabled = True
                return form

        return RowsTheUserMayChange

    def get_transition_buttons(self, request: HttpRequest, obj: models.Model) -> list[Step]:
        """The steps shown on ``obj``'s change page: startable now, or with unmet conditions."""
        self._checker(request).prefetch([obj])
        buttons = []
        for declared in self._steps.values():
            step = resolve_step(declared, obj)
            if step is not None and self.may_run(request, step, obj):
                buttons.append(step)
        return buttons

    def get_audit_trail(self, request: HttpRequest, obj: models.Model) -> list[dict[str, Any]]:
        """Rows of the audit panel: django-guarded's audit records of ``obj``, newest first,
        or the admin's own log entries when the audit trail is not available."""
        if not self.audit_trail_limit:
            return []
        return audit_rows(obj, self.audit_trail_limit)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if (
            change
            and obj is not None
            and not context.get("is_popup")
            and isinstance(response, TemplateResponse)
            and response.context_data is not None
        ):
            base: Any = response.template_name
            names = [base] if isinstance(base, str) else list(base or [])
            response.context_data.update(
                guarded_base_template=select_template(names),
                guarded_buttons=[
                    {
                        "step": step,
                        "url": self.transition_url(obj, step.name),
                        "hints": step.hints(),
                    }
                    for step in self.get_transition_buttons(request, obj)
                ],
                guarded_audit_trail=self.get_audit_trail(request, obj),
                guarded_audit_enabled=bool(self.audit_trail_limit),
                guarded_show_machine=self.show_state_machine,
            )
            response.template_name = self.guarded_change_form_template
        return response

    # -- The transition view --------------------------------------------------------------

    def _expected_errors(self) -> tuple[type[Exception], ...]:
        return (
            ValidationError,
            GuardedError,
            django_fsm.TransitionNotAllowed,
            *self.transition_errors,
        )

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        """Run the step ``name`` on the object, after checking everything again."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        declared = self._steps.get(name)
        if declared is None:
            return HttpResponseBadRequest(
                f"{self.model.__name__} has no transition or operation {name!r} in this admin."
            )
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            # What the admin answers for a missing object: the same for one the user
            # may not see, so that its existence does not leak.
            self.message_user(
                request,
                f"{capfirst(self.model._meta.verbose_name)} with ID “{unquote(object_id)}” "
                "doesn’t exist. Perhaps it was deleted?",  # noqa: RUF001 - Django's wording
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:index"))
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        change_url = self._change_url(obj)
        using = router.db_for_write(self.model, instance=obj)
        with transaction.atomic(using=using):
            # Serialise two tabs pressing the same button: the second one waits,
            # then sees the state the first one left.
            obj = type(obj)._base_manager.using(using).select_for_update().get(pk=obj.pk)
            step = resolve_step(declared, obj)
            refusal = self._refusal(request, declared, step, obj)
            if refusal or step is None:
                self.message_user(request, refusal or declared.label, messages.ERROR)
                return HttpResponseRedirect(change_url)
            kwargs: dict[str, Any] = {}
            if step.needs_input:
                answered = request.POST.get(CONFIRM_FIELD) == "1"
                form = None
                if step.form_class is not None:
                    form = step.form_class(request.POST) if answered else step.form_class()
                if not answered or (form is not None and not form.is_valid()):
                    # Ask first; a form with errors is asked again. Nothing has run.
                    return self._render_step_form(request, obj, step, form)
                if form is not None:
                    kwargs = {k: v for k, v in form.cleaned_data.items() if k != "by"}
            ok, message = self._run_step(request, obj, step, kwargs, using)
        self.message_user(request, message, messages.SUCCESS if ok else messages.ERROR)
        return HttpResponseRedirect(change_url)

    def _refusal(
        self, request: HttpRequest, declared: Step, step: Step | None, obj: models.Model
    ) -> str | None:
        if step is None:
            return f"{declared.label} is not available for {_describe(obj)}: {_states(obj)}."
        if step.unmet:
            return f"{step.label} cannot run on {_describe(obj)} yet: {' '.join(step.hints())}"
        if not self.may_run(request, step, obj):
            raise PermissionDenied(f"{request.user} may not run {step.label} on {_describe(obj)}")
        return None

    def _run_step(
        self,
        request: HttpRequest,
        obj: models.Model,
        step: Step,
        kwargs: dict[str, Any],
        using: str,
    ) -> tuple[bool, str]:
        before = _states(obj)
        try:
            # A savepoint: a failed step leaves the request's transaction usable.
            with transaction.atomic(using=using):
                getattr(obj, step.name)(by=request.user, **kwargs)
        except self._expected_errors() as error:
            return False, f"{step.label} failed for {_describe(obj)}: {_error_text(error)}"
        after = _states(obj)
        change = f"{before} → {after}" if step.kind == "transition" else ""
        self.log_change(request, obj, f"{step.label}{': ' + change if change else ''}")
        return (
            True,
            f"{step.label}: done for {_describe(obj)}{' (' + after + ')' if change else ''}.",
        )

    def _render_step_form(
        self, request: HttpRequest, obj: models.Model, step: Step, form: Any
    ) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": f"{step.label}: {obj}",
            "subtitle": None,
            "opts": opts,
            "object": obj,
            "step": step,
            "form": form,
            "question": step.confirm,
            "confirm_field": CONFIRM_FIELD,
            "action_url": self.transition_url(obj, step.name),
            "change_url": self._change_url(obj),
            "has_view_permission": self.has_view_permission(request, obj),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_form_template, context)

    # -- Changelist actions ---------------------------------------------------------------

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        kwargs = {} if action_location is None else {"action_location": action_location}
        actions: dict[str, Any] = super().get_actions(request, **kwargs)
        for step in self._steps.values():
            action_name = f"transition_{step.name}"
            if action_name in actions and not self._might_run_somewhere(request, step):
                del actions[action_name]
        return actions

    def _might_run_somewhere(self, request: HttpRequest, step: Step) -> bool:
        perms = {
            t.permission
            for fsm_field in state_fields(self.model)
            for t in fsm_field.get_all_transitions(self.model)
            if t.name == step.name
        }
        for permission in perms:
            if not permission:
                if self._may_change_some(request):
                    return True
                continue
            if callable(permission):
                return True
            if self._checker(request).has_permission(permission):
                return True
            codename = permission.rpartition(".")[2]
            if self._uses_object_permissions(request) and codename in self._codenames_anywhere(
                request
            ):
                return True
        return False

    def response_action(
        self, request: HttpRequest, queryset: models.QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        """Run a changelist action, after checking that each selected id is one.

        A forged selection (``abc``, ``2.0``, an empty value, an integer beyond the
        column's range) gets an error message and runs nothing, where Django's own
        lookup would fail with a server error.
        """
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        invalid = [value for value in selected if not self._is_primary_key(value)]
        if invalid:
            shown = ", ".join(repr(value) for value in invalid[:5])
            self.message_user(
                request,
                _(
                    "The selection holds values that are not ids of %(name)s: %(values)s. "
                    "Nothing was done."
                )
                % {"name": self.model._meta.verbose_name_plural, "values": shown},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        response: HttpResponse | None = super().response_action(request, queryset, *args, **kwargs)
        return response

    def _is_primary_key(self, value: str) -> bool:
        pk = self.model._meta.pk
        assert pk is not None
        try:
            python_value = pk.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return False
        if python_value is None or (python_value == "" and not isinstance(pk, models.CharField)):
            return False
        if isinstance(pk, (models.IntegerField, models.AutoField)):
            connection = connections[router.db_for_read(self.model)]
            low, high = connection.ops.integer_field_range(pk.get_internal_type())
            return bool(
                (low is None or python_value >= low) and (high is None or python_value <= high)
            )
        return True

    def run_bulk_transition(
        self, request: HttpRequest, queryset: models.QuerySet[Any], name: str
    ) -> HttpResponse | None:
        """Run transition ``name`` on each selected object the user may run it on.

        A transition declared with ``confirm`` first shows its question with the
        selection, as Django's "Delete selected" does; answering it runs the action.
        """
        declared = self._steps[name]
        if declared.confirm is not None and request.POST.get(CONFIRM_FIELD) != "1":
            return self._render_bulk_confirmation(request, queryset, declared)
        objects = list(queryset)
        checker = self._checker(request)
        checker.prefetch(objects)
        using = router.db_for_write(self.model)
        moved = 0
        refused: Counter[str] = Counter()
        for obj in objects:
            with transaction.atomic(using=using):
                fresh = (
                    type(obj)
                    ._base_manager.using(using)
                    .select_for_update()
                    .filter(pk=obj.pk)
                    .first()
                )
                if fresh is None:
                    refused["deleted meanwhile"] += 1
                    continue
                step = resolve_step(declared, fresh)
                if step is None:
                    refused[f"not available from {_states(fresh)}"] += 1
                elif step.unmet:
                    refused[f"conditions not met ({'; '.join(step.hints())})"] += 1
                elif not self.may_run(request, step, fresh):
                    refused["permission missing"] += 1
                else:
                    ok, message = self._run_step(request, fresh, step, {}, using)
                    if ok:
                        moved += 1
                    else:
                        refused[message.split(": ", 1)[-1]] += 1
        opts = self.model._meta
        noun = opts.verbose_name if moved == 1 else opts.verbose_name_plural
        summary = f"{declared.label}: {moved} {noun} done."
        if refused:
            reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(refused.items()))
            summary += f" {sum(refused.values())} refused: {reasons}."
        level = messages.SUCCESS if moved and not refused else messages.WARNING
        if not moved:
            level = messages.ERROR
        self.message_user(request, summary, level)
        return None

    def _render_bulk_confirmation(
        self, request: HttpRequest, queryset: models.QuerySet[Any], step: Step
    ) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": step.label,
            "subtitle": None,
            "opts": opts,
            "step": step,
            "question": step.confirm,
            "objects": list(queryset),
            "action_name": f"transition_{step.name}",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirm_field": CONFIRM_FIELD,
            "changelist_url": reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.bulk_confirmation_template, context)


class TransitionAdmin(TransitionAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ``ModelAdmin`` with `TransitionAdminMixin`, for models that need nothing else."""


def _bulk_action(step: Step) -> Callable[..., HttpResponse | None]:
    def action(
        modeladmin: TransitionAdminMixin, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> HttpResponse | None:
        return modeladmin.run_bulk_transition(request, queryset, step.name)

    action.__name__ = f"transition_{step.name}"
    action.short_description = f"{step.label} (selected %(verbose_name_plural)s)"  # type: ignore[attr-defined]
    return action


def _describe(obj: models.Model) -> str:
    return f"{obj._meta.verbose_name} “{obj}”"


def _states(obj: models.Model) -> str:
    parts = []
    for fsm_field in state_fields(type(obj)):
        value = fsm_field.get_state(obj)
        label = dict(fsm_field.flatchoices).get(value, value) if fsm_field.choices else value
        parts.append(f"{fsm_field.verbose_name} “{label}”")
    return ", ".join(parts)


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error)
