from __future__ import annotations

from django import forms
from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from demo.signup.models import Account
from django_guarded.admin import TransitionAdminMixin


class SignupForm(forms.Form):
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    card_type = forms.ChoiceField(choices=[("visa", "Visa"), ("mastercard", "Mastercard")])


@admin.register(Account)
class AccountAdmin(TransitionAdminMixin, GuardedModelAdmin):  # type: ignore[misc]
    list_display = ["email", "status", "created", "signup_date"]
    list_filter = ["status"]
    fields = ["email", "status", "created", "signup_date", "billing"]
    readonly_fields = ["billing"]

    @admin.display(description="Billing")
    def billing(self, obj: Account) -> str:
        info = getattr(obj, "billing_info", None)
        return str(info) if info else "-"
