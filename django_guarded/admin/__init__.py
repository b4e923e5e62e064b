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

from django_guarded.admin.base import CONFIRM_FIELD
from django_guarded.admin.options import TransitionAdmin, TransitionAdminMixin

__all__ = ["CONFIRM_FIELD", "TransitionAdmin", "TransitionAdminMixin"]
