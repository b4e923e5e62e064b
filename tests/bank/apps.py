from __future__ import annotations

from django.apps import AppConfig


class BankConfig(AppConfig):
    """The bank account of "Bullet Proofing Django Models", built on django-guarded."""

    name = "tests.bank"
    label = "bank"
    verbose_name = "Bank"
    default_auto_field = "django.db.models.BigAutoField"
