"""Admin of the test models: TransitionAdminMixin alone and with django-guardian's admin."""

from __future__ import annotations

from django import forms
from django.contrib import admin

try:
    from guardian.admin import GuardedModelAdmin
except ImportError:  # the run without django-guardian installed
    GuardedModelAdmin = admin.ModelAdmin

from django_guarded.admin import TransitionAdmin, TransitionAdminMixin
from tests.testapp.models import Account, Claim, Invoice, Pickup


class RenameForm(forms.Form):
    name = forms.CharField(max_length=50)


@admin.register(Claim)
class ClaimAdmin(TransitionAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    list_display = ["title", "state", "amount"]
    fields = ["title", "description", "owner", "state", "amount", "paid_amount", "reviewer_note"]


@admin.register(Invoice)
class InvoiceAdmin(TransitionAdmin):
    list_display = ["title", "state"]


@admin.register(Pickup)
class PickupAdmin(TransitionAdmin):
    list_display = ["pk", "state", "driver"]
    transition_options = {
        "assign": {"form": "tests.testapp.forms.DriverForm", "help_text": "Give it a driver."},
        "reset": {"admin": False},
        "triage": {"admin": False},
        "dropped_off": {"bulk": False},
    }


@admin.register(Account)
class AccountAdmin(TransitionAdmin):
    list_display = ["name", "status"]
    operation_buttons = {"rename": {"form": RenameForm, "permission": "testapp.change_account"}}
