"""Baselines: record today's findings so that later runs fail only on new ones.

A baseline entry is keyed by file (relative to the project root), rule code
and the finding's source line with whitespace collapsed, never by line
number, so unrelated edits that move code around keep it valid. Each key
holds a count: a file may keep up to that many identical findings.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from django_guarded.checker.report import Finding

BASELINE_VERSION = 1
Key = tuple[str, str, str]


class BaselineError(ValueError):
    """The baseline file exists but cannot be read."""


def normalize(source: str) -> str:
    """The source line as it is keyed: stripped, inner whitespace collapsed."""
    return " ".join(source.split())


def key_of(finding: Finding, rel_path: str) -> Key:
    """The baseline key of a finding."""
    return (rel_path, finding.code, normalize(finding.source))


def build(findings: Iterable[Finding], rel_path: Callable[[Finding], str]) -> Counter[Key]:
    """Count findings per key."""
    return Counter(key_of(f, rel_path(f)) for f in findings)


def dumps(counts: Counter[Key]) -> str:
    """The baseline file's text: sorted, one entry per key, stable in version control."""
    entries = [
        {"file": file, "code": code, "source": source, "count": count}
        for (file, code, source), count in sorted(counts.items())
    ]
    return json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n"


def write(path: Path, counts: Counter[Key]) -> None:
    """Write a baseline file."""
    path.write_text(dumps(counts), encoding="utf-8")


def load(path: Path) -> Counter[Key]:
    """Read a baseline file; a missing file is an empty baseline."""
    if not path.is_file():
        return Counter()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["findings"]
        counts: Counter[Key] = Counter()
        for entry in entries:
            key = (str(entry["file"]), str(entry["code"]), normalize(str(entry["source"])))
            counts[key] += int(entry.get("count", 1))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a django-guarded baseline ({exc})") from exc
    return counts


def subtract(
    findings: Sequence[Finding], counts: Counter[Key], rel_path: Callable[[Finding], str]
) -> list[Finding]:
    """The findings left once each baseline key has absorbed up to its count.

    ``counts`` is not modified.
    """
    if not counts:
        return list(findings)
    budget = Counter(counts)
    kept = []
    for finding in findings:
        key = key_of(finding, rel_path(finding))
        if budget[key] > 0:
            budget[key] -= 1
        else:
            kept.append(finding)
    return kept
