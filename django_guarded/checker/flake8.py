"""The flake8 plugin, registered as ``GRD`` under the ``flake8.extension`` entry point.

Settings come from ``[tool.django-guarded]`` in ``pyproject.toml`` and from
``guarded-*`` keys in flake8's own config (``guarded-strict = true``,
``guarded-allowed-paths = tests/,migrations/``), or the matching
``--guarded-*`` flags. The project index is built once per flake8 process
and cached on disk, so each file costs one walk of the tree flake8 has
already parsed. When no ``GRD`` code is selected (``--select=F``) the plugin
does nothing at all.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from django_guarded.checker import baseline as baselines
from django_guarded.checker.cli import __version__
from django_guarded.checker.config import Config
from django_guarded.checker.noqa import filter_noqa
from django_guarded.checker.runner import Project

_PROJECTS: dict[tuple[str, tuple[tuple[str, Any], ...]], Project] = {}
_LIST_OPTIONS = (
    "allowed-paths",
    "extend-allowed-paths",
    "unguarded-allowed-paths",
    "model-bases",
    "guarded-model-bases",
    "manager-bases",
    "external-modules",
    "exclude",
)
_BOOL_OPTIONS = ("strict", "fsm")


def _dest(key: str) -> str:
    return "guarded_" + key.replace("-", "_")


def _selected(options: Any) -> bool:
    """Whether a ``GRD`` code can be reported with these flake8 options."""
    select = getattr(options, "select", None)
    if not select:
        return True
    chosen = [*select, *(getattr(options, "extend_select", None) or [])]
    return any(c and ("GRD".startswith(c) or c.startswith("GRD")) for c in chosen)


class GuardedChecker:
    """flake8 checker: yields ``(line, col, message, type)`` for one file."""

    name = "django-guarded"
    version = __version__
    overrides: ClassVar[dict[str, Any]] = {}
    enabled: ClassVar[bool] = True
    use_noqa: ClassVar[bool] = True

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        """Register ``--guarded-*`` flags, readable from flake8's config too."""
        for key in _BOOL_OPTIONS:
            manager.add_option(
                f"--guarded-{key}",
                action="store_true",
                default=None,
                parse_from_config=True,
                help=f"django-guarded: turn on {key} mode",
            )
        for key in _LIST_OPTIONS:
            manager.add_option(
                f"--guarded-{key}",
                default=None,
                parse_from_config=True,
                comma_separated_list=True,
                help=f"django-guarded: {key} (comma-separated)",
            )
        manager.add_option(
            "--guarded-baseline",
            default=None,
            parse_from_config=True,
            help="django-guarded: baseline file, relative to the project root",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        """Keep the values that were given; the rest comes from pyproject.toml."""
        overrides: dict[str, Any] = {}
        for key in (*_BOOL_OPTIONS, *_LIST_OPTIONS, "baseline"):
            value = getattr(options, _dest(key), None)
            if value is not None and value != []:
                overrides[key] = value
        cls.overrides = overrides
        cls.enabled = _selected(options)
        cls.use_noqa = not getattr(options, "disable_noqa", False)

    @classmethod
    def project(cls) -> Project:
        """The project of the current directory, built once per process."""
        key = (os.getcwd(), tuple(sorted((k, repr(v)) for k, v in cls.overrides.items())))
        project = _PROJECTS.get(key)
        if project is None:
            project = Project.discover(None, **cls.overrides)
            _PROJECTS[key] = project
        return project

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """Check the file flake8 hands over."""
        if (
            not self.enabled
            or self.filename in ("stdin", "-")
            or not isinstance(self.tree, ast.Module)
        ):
            return
        project = self.project()
        if not project.might_report("".join(self.lines)):
            return
        lines = [line.rstrip("\r\n") for line in self.lines]
        path = Path(os.path.abspath(self.filename))
        try:
            findings = project.check_tree(self.tree, path, self.filename, lines)
        except Exception as exc:  # never abort the whole flake8 run
            sys.stderr.write(f"django-guarded: {self.filename}: internal error {exc!r}\n")
            return
        if self.use_noqa:
            findings = filter_noqa(findings, lines)
        findings = baselines.subtract(findings, project.baseline_counts, project.baseline_key_path)
        for finding in findings:
            yield finding.line, finding.col, finding.message, type(self)


__all__ = ["Config", "GuardedChecker"]
