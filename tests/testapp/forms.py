"""Forms of the test models' transitions (named in their ``custom={"form": ...}``)."""

from __future__ import annotations

from django import forms


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=200)


class PayForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class DriverForm(forms.Form):
    driver = forms.CharField(max_length=50)
