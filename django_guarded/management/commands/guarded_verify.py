"""``manage.py guarded_verify``: check every object against its audit trail.

Replays the trail: reports each object whose state changed without a record, whose
current state is not the target of its last record, whose row is gone without a
record of its deletion, or whose transition records move along an edge the method
does not declare, plus what models' own ``verify_audit_trail()`` hooks report.
Exits with status 1 when anything is found.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from django_guarded._audit.verify import verify


class Command(BaseCommand):
    help = (
        "Replay the django-guarded audit trail against the objects and report every "
        "disagreement (a state changed without a record, a row gone without one, a move "
        "its transition does not declare). Exit status 1 if there is any."
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
        for note in report.notes:
            self.stderr.write(note)
        summary = _summary(report)
        if report.problems:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _summary(report: Any) -> str:
    """``Checked the records of 3 objects (4 states) of 2 models, ...: 1 problem.``"""
    models = _plural(len(report.models), "model", "models")
    objects = _plural(report.objects, "object", "objects")
    states = _plural(report.states, "state", "states")
    deleted = (
        f", and {_plural(report.deleted, 'object', 'objects')} its own methods deleted"
        if report.deleted
        else ""
    )
    problems = _plural(len(report.problems), "problem", "problems")
    return f"Checked the records of {objects} ({states}) of {models}{deleted}: {problems}."
