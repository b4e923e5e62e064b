from __future__ import annotations

from django.apps import AppConfig


class BankConfig(AppConfig):
    """ "Bullet Proofing Django Models": a bank account with a balance and a log."""

    name = "demo.bank"
    label = "bank"
    verbose_name = "Bank"
