from __future__ import annotations

from django.apps import AppConfig


class SignupConfig(AppConfig):
    """ "Django models, encapsulation and data integrity": trial, signed up, expired."""

    name = "demo.signup"
    label = "signup"
    verbose_name = "Sign-ups"
