"""On-disk cache of module summaries, keyed by file path and checked by mtime and size.

The cache is one JSON file in ``.django-guarded-cache/`` under the project
root (the folder carries its own ``.gitignore``). It is written atomically,
so parallel flake8 workers can share it: the last writer wins and every
version on disk is complete. Anything unreadable is treated as empty.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django_guarded.checker.summary import SUMMARY_VERSION

CACHE_FILE = "index.json"
Entry = list[Any]
"""``[mtime_ns, size, module, is_package, summary]``."""


def load(cache_dir: Path) -> tuple[dict[str, Entry], dict[str, Entry]]:
    """Return ``(project files, external modules)`` from the cache, empty if none."""
    try:
        data = json.loads((cache_dir / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    if not isinstance(data, dict) or data.get("version") != SUMMARY_VERSION:
        return {}, {}
    files = data.get("files")
    external = data.get("external")
    if not isinstance(files, dict) or not isinstance(external, dict):
        return {}, {}
    return files, external


def _prepare(cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by django-guarded-check\n*\n", encoding="utf-8")


@contextmanager
def locked(cache_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the cache while the index is built.

    flake8's worker processes all start with a cold cache at once: with the
    lock, the first one builds and saves the index and the others wait, then
    read it, instead of each parsing the whole project. Without ``fcntl``
    (Windows) or a writable folder, nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        _prepare(cache_dir)
        handle = open(cache_dir / ".lock", "a+")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(cache_dir: Path, files: dict[str, Entry], external: dict[str, Entry]) -> bool:
    """Write the cache atomically; return whether it was written."""
    try:
        _prepare(cache_dir)
        payload = json.dumps(
            {"version": SUMMARY_VERSION, "files": files, "external": external},
            separators=(",", ":"),
        )
        handle, temp = tempfile.mkstemp(dir=cache_dir, prefix=".index-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(payload)
            os.replace(temp, cache_dir / CACHE_FILE)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True
