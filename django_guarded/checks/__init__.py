"""System checks for guarded models (ids ``django_guarded.E0xx`` and ``W0xx``).

======================  =========================================================
``django_guarded.E001``  A guarded model's default manager is not guarded.
``django_guarded.W001``  Another manager of a guarded model is not guarded.
``django_guarded.E002``  A transition's target is not among the field's choices.
``django_guarded.W002``  A transition's source is not among the field's choices.
``django_guarded.E003``  ``guarded()`` is used on a model that is not a GuardedModel.
``django_guarded.W003``  A django-guarded FSM field is on a model that is not a GuardedModel.
``django_guarded.E004``  A state field's default is not among its choices.
``django_guarded.W004``  A state can never be reached from the states the machine starts in.
``django_guarded.W005``  A state has no way out: no chain of transitions leads to an end.
``django_guarded.E005``  A transition's name means something else: overridden, or shared.
``django_guarded.E006``  ``guarded_initial_states`` or ``guarded_final_states`` is wrong.
``django_guarded.E007``  ``guarded()`` is used on a many-to-many field, which it cannot guard.
``django_guarded.W006``  A guarded model is registered with an admin without the transition mixin.
======================  =========================================================

Each check is a function of one of the modules of this package (managers, fields,
the shape of each machine); `register` registers them with Django's check
framework, from the app's ``ready()``. W006 is the admin's own
(`django_guarded.admin.checks`), registered when ``django.contrib.admin`` is installed.
"""

from __future__ import annotations

from django.core import checks

from django_guarded.checks.fields import check_guarded_fields, check_transitions
from django_guarded.checks.machines import check_machines, check_transition_names
from django_guarded.checks.managers import check_managers

__all__ = [
    "check_guarded_fields",
    "check_machines",
    "check_managers",
    "check_transition_names",
    "check_transitions",
    "register",
]


def register() -> None:
    """Register every check of django-guarded (idempotent: Django keeps them in a set)."""
    for check in (
        check_managers,
        check_transitions,
        check_guarded_fields,
        check_machines,
        check_transition_names,
    ):
        checks.register(check, checks.Tags.models)
