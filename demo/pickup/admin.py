from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from guardian.admin import GuardedModelAdmin

from demo.pickup.models import Pickup
from django_guarded.admin import TransitionAdminMixin


# --8<-- [start:admin]
class AssignForm(forms.Form):
    driver = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(groups__name="drivers").order_by("username")
    )


@admin.register(Pickup)
class PickupAdmin(TransitionAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    list_display = ["__str__", "state", "driver"]
    list_filter = ["state"]
    fields = ["guest", "flight", "state", "driver"]


# --8<-- [end:admin]
