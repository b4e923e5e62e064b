"""``manage.py guarded_check``: the static checker, run from a Django project.

The same as ``django-guarded-check`` (see `django_guarded.checker.cli`),
checking ``settings.BASE_DIR`` when no path is given. The checker itself never
imports the project: this command is only a convenience for projects that run
their tools through ``manage.py``. Exits with status 1 when something is
reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_guarded.checker.cli import main
from django_guarded.checker.report import FORMATS


class Command(BaseCommand):
    help = (
        "Report writes to models made from outside the model's own methods and managers "
        "(the django-guarded static checker). Exit status 1 when anything is reported."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="files or folders (default: BASE_DIR)")
        parser.add_argument("--strict", action="store_true", help="check every Django model")
        parser.add_argument("--fsm", action="store_true", help="django-fsm migration mode")
        parser.add_argument("--format", choices=FORMATS, default="text")
        parser.add_argument("--no-baseline", action="store_true", help="ignore the baseline")
        parser.add_argument(
            "--write-baseline", action="store_true", help="record the current findings"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths = options["paths"] or [str(getattr(settings, "BASE_DIR", Path.cwd()))]
        argv = [*paths, "--format", options["format"]]
        for flag in ("strict", "fsm", "no_baseline", "write_baseline"):
            if options[flag]:
                argv.append("--" + flag.replace("_", "-"))
        status = main(argv, out=self.stdout, err=self.stderr)  # type: ignore[arg-type]
        if status:
            raise CommandError("django-guarded-check reported problems", returncode=status)
