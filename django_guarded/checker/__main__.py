"""``python -m django_guarded.checker``: the standalone command."""

from __future__ import annotations

from django_guarded.checker.cli import main

raise SystemExit(main())
