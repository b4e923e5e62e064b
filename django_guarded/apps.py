"""Django app configuration: registers the system checks and the audit triggers' switch."""

from __future__ import annotations

from django.apps import AppConfig


class DjangoGuardedConfig(AppConfig):
    """``django_guarded`` in ``INSTALLED_APPS`` enables its audit trail, system checks,
    admin templates and management commands."""

    name = "django_guarded"
    verbose_name = "django-guarded"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.apps import apps
        from django.core import checks as django_checks

        from django_guarded import checks
        from django_guarded._audit import triggers

        checks.register()
        if apps.is_installed("django.contrib.admin"):
            from django_guarded.admin.checks import check_admin_registrations

            django_checks.register(check_admin_registrations, django_checks.Tags.admin)
        triggers.connect()
