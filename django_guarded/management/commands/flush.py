"""``manage.py flush``, able to empty the audit table despite its triggers.

Django's own ``flush`` (which ``TransactionTestCase`` also runs between tests)
deletes every table's rows; the audit table's triggers reject that unless the
connection is purging. This command is Django's, run inside
`django_guarded.allow_audit_purge()` for the flushed database.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from django_guarded._audit.triggers import allow_audit_purge


class Command(flush.Command):
    help = flush.Command.help + " The django-guarded audit trail is emptied too."

    def handle(self, **options: Any) -> None:
        with allow_audit_purge(options["database"]):
            super().handle(**options)
