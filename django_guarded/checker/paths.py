"""Files and module names: where the project is and what each file is called.

Nothing here imports the project: module names come from the package layout
(directories holding an ``__init__.py``), exactly as Python would find them
with the top directory of the package on ``sys.path``.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8", "manage.py", ".git")
"""Files or folders whose presence marks a project root, nearest first."""

SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "site-packages",
        "venv",
        "env",
        "build",
        "dist",
        "htmlcov",
    }
)
"""Directory names never walked into (hidden directories are skipped too)."""


def find_root(start: Path) -> Path:
    """Return the nearest directory at or above ``start`` holding a root marker.

    Without one (installed packages, say), the current directory's root is used,
    and the current directory itself if it has none either.
    """
    for origin in (start, Path.cwd()):
        origin = origin.resolve()
        here = origin if origin.is_dir() else origin.parent
        for candidate in (here, *here.parents):
            if any((candidate / marker).exists() for marker in ROOT_MARKERS):
                return candidate
    return Path.cwd().resolve()


def iter_python_files(paths: Iterable[Path], exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Yield the ``.py`` files under ``paths`` (files are yielded as given), sorted per folder."""
    for path in paths:
        if path.is_file():
            if path.suffix == ".py":
                yield path.resolve()
            continue
        base = path.resolve()
        for folder, dirs, files in os.walk(base):
            rel_folder = os.path.relpath(folder, base).replace(os.sep, "/")
            rel_prefix = "" if rel_folder == "." else rel_folder + "/"
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".")
                and d not in SKIPPED_DIRS
                and not d.endswith(".egg-info")
                and not matches_any(rel_prefix + d + "/", exclude)
            )
            for name in sorted(files):
                if name.endswith(".py") and not matches_any(rel_prefix + name, exclude):
                    yield Path(folder, name)


@lru_cache(maxsize=4096)
def _is_package_dir(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def module_name(path: Path) -> tuple[str, bool]:
    """Return ``(dotted module name, is_package)`` for a source file."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = str(path.parent)
    while _is_package_dir(folder):
        parts.append(os.path.basename(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    parts.reverse()
    return ".".join(parts) or path.stem, path.name == "__init__.py"


def clear_caches() -> None:
    """Forget what is known about package folders (after files were created)."""
    _is_package_dir.cache_clear()


def relative_posix(path: Path, bases: Sequence[Path]) -> str:
    """``path`` relative to the first base holding it, with ``/``; absolute otherwise."""
    for base in bases:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def matches_any(rel_path: str, patterns: Sequence[str]) -> bool:
    """Whether a relative path matches one of the glob patterns.

    A pattern matches the whole path or any tail of it that starts at a folder
    boundary, so ``migrations/*`` matches ``shop/migrations/0001_initial.py``
    and ``test_*.py`` matches ``shop/test_views.py``. A pattern starting with
    ``/`` only matches from the start of the path. A pattern ending in ``/``
    matches the folder and everything in it. ``*`` also matches ``/``.
    """
    if not patterns:
        return False
    return _compiled(tuple(patterns)).match(rel_path) is not None


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """All patterns as one regular expression (fnmatch semantics, case-sensitive)."""
    anywhere: list[str] = []
    anchored: list[str] = []
    for pattern in patterns:
        pat = pattern.lstrip("/")
        if not pat:
            continue
        if pat.endswith("/"):
            pat += "*"
        (anchored if pattern.startswith("/") else anywhere).append(fnmatch.translate(pat))
    parts = []
    if anywhere:
        parts.append("(?:.*/)?(?:" + "|".join(anywhere) + ")")
    if anchored:
        parts.append("(?:" + "|".join(anchored) + ")")
    return re.compile("|".join(parts) or "(?!)")
