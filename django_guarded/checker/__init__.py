"""Static checker for django-guarded: finds writes to models made from outside
the model's own methods and managers, without importing Django or the project.

Use it as ``django-guarded-check`` (or ``python -m django_guarded.checker``),
as the ``GRD`` flake8 plugin, or from Python:

    from pathlib import Path
    from django_guarded.checker import run

    project, result = run([Path("src")], overrides={"strict": True})
    for finding in result.findings:
        print(finding.path, finding.line, finding.message)
"""

from __future__ import annotations

from django_guarded.checker.codes import RULES, Rule
from django_guarded.checker.config import Config, ConfigError, load_config
from django_guarded.checker.report import Finding
from django_guarded.checker.runner import Project, RunResult, run

__all__ = [
    "RULES",
    "Config",
    "ConfigError",
    "Finding",
    "Project",
    "Rule",
    "RunResult",
    "load_config",
    "run",
]
