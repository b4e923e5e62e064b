from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

from demo.bank.models import MAX_AMOUNT, MIN_AMOUNT, Account, Action
from django_guarded.admin import TransitionAdminMixin


class AmountForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=MIN_AMOUNT, max_value=MAX_AMOUNT
    )


class DepositForm(AmountForm):
    reference = forms.CharField(max_length=100, required=False, help_text="e.g. a cheque number")


class ActionInline(admin.TabularInline):  # type: ignore[type-arg]
    """The account's movements, read only: they are written by deposit() and withdraw()."""

    model = Action
    fields = ["created", "type", "delta", "actor", "reference"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


# --8<-- [start:admin]
@admin.register(Account)
class AccountAdmin(TransitionAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    list_display = ["__str__", "state", "balance"]
    list_filter = ["state"]
    fields = ["user", "uid", "state", "balance", "note"]
    readonly_fields = ["uid"]
    inlines = [ActionInline]
    operation_buttons = {
        "deposit": {
            "form": DepositForm,
            "permission": "bank.deposit_account",
            "help_text": "Add money (locks the account's row while it runs).",
        },
        "withdraw": {
            "form": AmountForm,
            "permission": "bank.withdraw_account",
            "help_text": "Take money out, never below zero.",
        },
    }


# --8<-- [end:admin]
