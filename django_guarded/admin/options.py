"""`TransitionAdminMixin`, made of its parts, and `TransitionAdmin`."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import admin

from django_guarded.admin.access import AccessMixin
from django_guarded.admin.actions import ActionsMixin, bulk_action, permission_method
from django_guarded.admin.buttons import ButtonsMixin
from django_guarded.admin.steps import declared_steps

__all__ = ["TransitionAdmin", "TransitionAdminMixin"]


class TransitionAdminMixin(ActionsMixin, ButtonsMixin, AccessMixin):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._steps = declared_steps(self.model, self.transition_options, self.operation_buttons)
        if self.bulk_transition_actions and self.actions is not None:
            bulk = [
                step
                for step in self._steps.values()
                if step.kind == "transition" and step.bulk and step.form_class is None
            ]
            for step in bulk:
                # What the action's permissions=[...] asks: has_<name>_permission(request).
                setattr(self, permission_method(step), functools.partial(self.may_bulk, step=step))
            self.actions = [*(self.actions or ()), *(bulk_action(step) for step in bulk)]


class TransitionAdmin(TransitionAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ``ModelAdmin`` with `TransitionAdminMixin`, for models that need nothing else."""
