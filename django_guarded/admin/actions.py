"""Changelist actions: each transition without a form, run on every selected object.

Each object is checked again on its own freshly locked row. A transition declared
with ``confirm`` asks first, on an intermediate page. A forged selection is refused
with a message before any action runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from django_guarded._core.fsm import state_fields
from django_guarded.admin.base import CONFIRM_FIELD, GuardedAdminBase
from django_guarded.admin.steps import Step, resolve_step
from django_guarded.admin.wording import states

__all__ = ["ActionsMixin", "bulk_action"]


class ActionsMixin(GuardedAdminBase):
    """One changelist action per transition that needs no form."""

    def may_bulk(self, request: HttpRequest, step: Step) -> bool:
        """Whether the user may run ``step`` on at least one object: its action is offered."""
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
        self._checker(request).prefetch(objects)
        using = router.db_for_write(self.model)
        moved = 0
        refused: Counter[str] = Counter()
        for obj in objects:
            refusal = self._run_on_fresh_row(request, declared, obj, using)
            if refusal is None:
                moved += 1
            else:
                refused[refusal] += 1
        opts = self.model._meta
        noun = opts.verbose_name if moved == 1 else opts.verbose_name_plural
        summary = _("%(step)s: %(count)d %(noun)s done.") % {
            "step": declared.label,
            "count": moved,
            "noun": noun,
        }
        if refused:
            reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(refused.items()))
            summary += " " + _("%(count)d refused: %(reasons)s.") % {
                "count": sum(refused.values()),
                "reasons": reasons,
            }
        level = messages.SUCCESS if moved and not refused else messages.WARNING
        if not moved:
            level = messages.ERROR
        self.message_user(request, summary, level)
        return None

    def _run_on_fresh_row(
        self, request: HttpRequest, declared: Step, obj: models.Model, using: str
    ) -> str | None:
        """Run ``declared`` on ``obj``'s row, locked and checked again; why not, if not."""
        with transaction.atomic(using=using):
            fresh = (
                type(obj)._base_manager.using(using).select_for_update().filter(pk=obj.pk).first()
            )
            if fresh is None:
                return _("deleted meanwhile")
            step = resolve_step(declared, fresh)
            if step is None:
                return _("not available from %(states)s") % {"states": states(fresh)}
            if step.unmet:
                return _("conditions not met (%(hints)s)") % {"hints": "; ".join(step.hints())}
            if not self.may_run(request, step, fresh):
                return _("permission missing")
            ok, message = self._run_step(request, fresh, step, {}, using)
            return None if ok else message.split(": ", 1)[-1]

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


def permission_method(step: Step) -> str:
    """The name of the admin method that says whether ``step``'s action is offered."""
    return f"has_{step.name}_transition_permission"


def bulk_action(step: Step) -> Callable[..., HttpResponse | None]:
    """The changelist action of ``step``, offered to users who may run it somewhere."""

    @admin.action(
        description=_("%(label)s (selected %%(verbose_name_plural)s)") % {"label": step.label},
        permissions=[f"{step.name}_transition"],
    )
    def action(
        modeladmin: ActionsMixin, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> HttpResponse | None:
        return modeladmin.run_bulk_transition(request, queryset, step.name)

    action.__name__ = f"transition_{step.name}"
    return action
