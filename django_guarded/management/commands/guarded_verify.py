"""``manage.py guarded_verify``: check every object against its audit trail.

Replays the trail: reports each object whose state changed without a record, or
whose current state is not the target of its last record, plus what models' own
``verify_audit_trail()`` hooks report. Exits with status 1 when anything is found.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from django_guarded._verify import verify


class Command(BaseCommand):
    help = (
        "Replay the django-guarded audit trail and report every object whose current "
        "state differs from its last recorded target. Exit status 1 if any does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "labels",
            nargs="*",
            metavar="app_label[.ModelName]",
            help="Only check these apps or models (default: every model in the trail).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database to check (default: "default").',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify(options["database"], options["labels"])
        for problem in report.problems:
            self.stdout.write(str(problem))
        for label in sorted(report.unknown_models):
            self.stderr.write(f"{label}: the trail names this model, which is not installed")
        missing = f", {report.missing} no longer exist" if report.missing else ""
        summary = (
            f"Checked {report.checked} object states of {len(report.models)} model(s){missing}: "
            f"{len(report.problems)} problem(s)."
        )
        if report.problems:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))
