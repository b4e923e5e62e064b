"""Running the checker: a project (root, settings, index) and a run over paths.

The standalone command and the flake8 plugin both go through
`Project`, so they report the same findings.
"""

from __future__ import annotations

import ast
import gc
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django_guarded.checker import baseline as baselines
from django_guarded.checker.config import Config, load_config
from django_guarded.checker.index import ProjectIndex, parse_source
from django_guarded.checker.noqa import filter_noqa
from django_guarded.checker.paths import find_root, iter_python_files, matches_any, module_name
from django_guarded.checker.report import Finding
from django_guarded.checker.rules import FileChecker

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FEW_TRIGGERS = 40
_MANY_TRIGGERS = 64


class Project:
    """A project root with its settings and index."""

    def __init__(
        self,
        root: Path,
        config: Config,
        extra_paths: tuple[Path, ...] = (),
        keep: frozenset[Path] = frozenset(),
    ) -> None:
        self.root = root.resolve()
        self.config = config
        self.index = ProjectIndex.build(self.root, config, extra_paths, keep)
        outside = []
        for path in [*(self.root / p for p in config.index_paths), *extra_paths]:
            folder = path.resolve()
            if folder.is_dir() and not _inside(folder, self.root):
                # a package's files are named from the package: django/contrib/...
                outside.append(folder.parent if (folder / "__init__.py").is_file() else folder)
        self.bases = [self.root, *outside]
        self._prefixes = [str(base).rstrip(os.sep) + os.sep for base in self.bases]
        self.triggers = self._triggers()
        self._pattern: re.Pattern[str] | None = None
        if len(self.triggers) <= _MANY_TRIGGERS:
            names = sorted(map(re.escape, self.triggers), key=len, reverse=True)
            self._pattern = re.compile(r"\b(?:" + "|".join(names) + r")\b")
        self._policies: dict[str, tuple[bool, bool]] = {}

    @classmethod
    def discover(cls, start: Path | None = None, **overrides: Any) -> Project:
        """The project around ``start`` (the current directory by default)."""
        root = find_root(start or Path.cwd())
        return cls(root, load_config(root, overrides))

    def _triggers(self) -> frozenset[str]:
        names = {"unguarded"}
        if self.config.strict or self.config.fsm or self.index.has_guarded_models():
            names |= self.index.model_names()
        return frozenset(names)

    def might_report(self, text: str) -> bool:
        """A cheap, sound pre-check: a file that names no model class (and not
        ``unguarded``) cannot produce a finding, since every receiver the rules
        know starts from a model class's name."""
        if len(self.triggers) <= _FEW_TRIGGERS:
            return any(name in text for name in self.triggers)
        if self._pattern is not None:
            return self._pattern.search(text) is not None
        return not self.triggers.isdisjoint(_IDENTIFIER.findall(text))

    def rel_path(self, path: Path) -> str:
        """``path`` relative to the root (or the extra path holding it), with ``/``."""
        text = str(path)
        for prefix in self._prefixes:
            if text.startswith(prefix):
                return text[len(prefix) :].replace(os.sep, "/")
        return path.as_posix()

    def policy(self, rel: str) -> tuple[bool, bool]:
        """``(skip the file, unguarded() allowed)`` for a relative path."""
        known = self._policies.get(rel)
        if known is None:
            if matches_any(rel, self.config.all_allowed_paths):
                known = (True, True)
            else:
                known = (False, matches_any(rel, self.config.unguarded_allowed_paths))
            self._policies[rel] = known
        return known

    def check_tree(
        self, tree: ast.Module, path: Path, display: str, lines: list[str]
    ) -> list[Finding]:
        """Findings for one parsed file (``# noqa`` and the baseline not applied)."""
        skip, unguarded_ok = self.policy(self.rel_path(path))
        if skip:
            return []
        module, is_package = module_name(path)
        if module not in self.index.modules:
            from django_guarded.checker.summary import summarize

            self.index.add_module(module, summarize(tree, module, is_package), path)
        checker = FileChecker(
            self.index,
            self.config,
            module,
            display,
            lines,
            is_package=is_package,
            unguarded_allowed=unguarded_ok,
        )
        return checker.check(tree)

    def load_baseline(self) -> Counter[baselines.Key]:
        """The configured baseline (empty when the file does not exist)."""
        return baselines.load(self.root / self.config.baseline)

    @cached_property
    def baseline_counts(self) -> Counter[baselines.Key]:
        """The baseline, read once."""
        return self.load_baseline()

    def baseline_key_path(self, finding: Finding) -> str:
        """The file part of a finding's baseline key."""
        return self.rel_path(Path(os.path.abspath(finding.path)))


@dataclass
class RunResult:
    """What a run found and what it cost."""

    findings: list[Finding]
    """Reported findings: after ``# noqa`` and the baseline."""
    unfiltered: list[Finding]
    """Findings after ``# noqa`` but before the baseline."""
    files: int = 0
    checked: int = 0
    """Files actually walked (the others named no model and were skipped unparsed)."""
    lines: int = 0
    seconds: float = 0.0
    by_code: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    """Files the checker failed on (a bug in the checker: please report it)."""

    @property
    def baselined(self) -> int:
        """How many findings the baseline absorbed."""
        return len(self.unfiltered) - len(self.findings)


def display_path(path: Path) -> str:
    """How a path is printed: relative to the current directory when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def run(
    paths: list[Path],
    *,
    root: Path | None = None,
    overrides: dict[str, Any] | None = None,
    project: Project | None = None,
    use_baseline: bool = True,
) -> tuple[Project, RunResult]:
    """Check ``paths`` (files or folders) and return the project and the result.

    Without ``project``, the project root is ``root`` or the one found above
    the first path, and its settings are read there, ``overrides`` winning.
    """
    started = time.perf_counter()
    # Syntax trees hold no reference cycles: the cyclic collector would only
    # rescan them again and again while thousands are being built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(paths, root, overrides, project, use_baseline, started)
    finally:
        if collecting:
            gc.enable()


def _run(
    paths: list[Path],
    root: Path | None,
    overrides: dict[str, Any] | None,
    project: Project | None,
    use_baseline: bool,
    started: float,
) -> tuple[Project, RunResult]:
    resolved = [p.resolve() for p in paths]
    if project is None:
        root = (root or find_root(resolved[0] if resolved else Path.cwd())).resolve()
        config = load_config(root, overrides)
        files = list(iter_python_files(resolved, config.exclude))
        project = Project(root, config, tuple(resolved), frozenset(files))
    else:
        files = list(iter_python_files(resolved, project.config.exclude))
    result = RunResult([], [])
    for path in files:
        result.files += 1
        kept = project.index.parsed.pop(path, None)
        try:
            source = kept.source if kept is not None else path.read_bytes()
        except OSError:
            continue
        text = source.decode("utf-8", "replace")
        result.lines += text.count("\n")
        if project.policy(project.rel_path(path))[0] or not project.might_report(text):
            continue
        tree = kept.tree if kept is not None else parse_source(source)
        if tree is None:
            continue
        result.checked += 1
        lines = text.splitlines()
        try:
            found = project.check_tree(tree, path, display_path(path), lines)
        except Exception as exc:  # a checker bug must not hide the other files' findings
            result.errors.append(f"{display_path(path)}: internal error {exc!r}")
            continue
        result.unfiltered.extend(filter_noqa(found, lines))
    result.findings = result.unfiltered
    if use_baseline:
        counts = project.load_baseline()
        result.findings = baselines.subtract(result.unfiltered, counts, project.baseline_key_path)
    result.by_code = Counter(f.code for f in result.findings)
    result.seconds = time.perf_counter() - started
    return project, result


def _inside(path: Path, base: Path) -> bool:
    return path == base or base in path.parents
