"""The change page's buttons, and the view that runs one of them.

Each button is a small form of its own that POSTs to ``<object>/transition/<name>/``;
the view checks everything again on the row it locks, runs the model's own method
with the acting user, logs it and reports the outcome as a message.
"""

from __future__ import annotations

from typing import Any

import django_fsm
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseRedirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from django_guarded._core import permission as _permission
from django_guarded._orm.fields import is_guarded
from django_guarded.admin.base import CONFIRM_FIELD, GuardedAdminBase
from django_guarded.admin.queries import audit_rows
from django_guarded.admin.steps import Step, resolve_step
from django_guarded.admin.wording import describe, error_text, states
from django_guarded.exceptions import GuardedError

__all__ = ["ButtonsMixin"]


class ButtonsMixin(GuardedAdminBase):
    """The change form with its buttons, and the transition view."""

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

    # -- The change form --------------------------------------------------------------

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
            raise PermissionDenied(
                _("%(user)s may not change %(object)s")
                % {"user": request.user, "object": describe(obj)}
            )
        editable = {
            f.name
            for f in self.model._meta.concrete_fields
            if not is_guarded(f) and not f.primary_key
        }
        fields = [name for name in form.changed_data if name in editable]
        if fields:
            # Only these columns are written: a guarded value on the instance, however
            # it got there, never reaches the database through this path.
            with _permission.enter(_permission.Permission(type(obj), only=obj)):
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
        """Rows of the audit panel: django-guarded's audit records of ``obj``, newest first."""
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

    # -- The transition view ----------------------------------------------------------

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
                _("%(model)s has no transition or operation %(name)r in this admin.")
                % {"model": self.model.__name__, "name": name}
            )
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            # What the admin answers for a missing object: the same for one the user
            # may not see, so that its existence does not leak.
            self.message_user(
                request,
                # Django's own message, and its translation.
                _("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?")  # noqa: RUF001
                % {"name": capfirst(self.model._meta.verbose_name), "key": unquote(object_id)},
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
            return _("%(step)s is not available for %(object)s: %(states)s.") % {
                "step": declared.label,
                "object": describe(obj),
                "states": states(obj),
            }
        if step.unmet:
            return _("%(step)s cannot run on %(object)s yet: %(hints)s") % {
                "step": step.label,
                "object": describe(obj),
                "hints": " ".join(step.hints()),
            }
        if not self.may_run(request, step, obj):
            raise PermissionDenied(
                _("%(user)s may not run %(step)s on %(object)s")
                % {"user": request.user, "step": step.label, "object": describe(obj)}
            )
        return None

    def _run_step(
        self,
        request: HttpRequest,
        obj: models.Model,
        step: Step,
        kwargs: dict[str, Any],
        using: str,
    ) -> tuple[bool, str]:
        before = states(obj)
        try:
            # A savepoint: a failed step leaves the request's transaction usable.
            with transaction.atomic(using=using):
                getattr(obj, step.name)(by=request.user, **kwargs)
        except self._expected_errors() as error:
            return False, _("%(step)s failed for %(object)s: %(error)s") % {
                "step": step.label,
                "object": describe(obj),
                "error": error_text(error),
            }
        after = states(obj)
        change = f"{before} → {after}" if step.kind == "transition" else ""
        self.log_change(request, obj, f"{step.label}{': ' + change if change else ''}")
        if change:
            done = _("%(step)s: done for %(object)s (%(states)s).") % {
                "step": step.label,
                "object": describe(obj),
                "states": after,
            }
        else:
            done = _("%(step)s: done for %(object)s.") % {
                "step": step.label,
                "object": describe(obj),
            }
        return True, done

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
