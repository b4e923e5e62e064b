"""``# noqa`` comments, read the way flake8 reads them.

``# noqa`` alone silences every finding on the line; ``# noqa: GRD101,GRD201``
(or ``# noqa:GRD101 GRD201``) only those codes, and a code prefix such as
``GRD1`` silences the whole group. The comment may sit on any line of the
statement (flake8's logical line). ``# flake8: noqa`` on a line of its own
skips the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django_guarded.checker.report import Finding

NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
FILE_NOQA = re.compile(r"\s*#\s*flake8[:=]\s*noqa\s*$", re.IGNORECASE)
_SPLIT = re.compile(r"[,\s]+")


def file_is_skipped(lines: Sequence[str]) -> bool:
    """Whether the file opts out with ``# flake8: noqa``."""
    return any(FILE_NOQA.match(line) for line in lines if "noqa" in line.lower())


def _silences(line: str, code: str) -> bool:
    for match in NOQA.finditer(line):
        listed = match.group("codes")
        if not listed:
            return True
        if any(code.startswith(c) for c in _SPLIT.split(listed.strip().upper()) if c):
            return True
    return False


def is_silenced(finding: Finding, lines: Sequence[str]) -> bool:
    """Whether a ``# noqa`` comment in the finding's statement covers it."""
    start, end = finding.lines if finding.lines != (0, 0) else (finding.line, finding.line)
    start = min(start, finding.line)
    end = max(end, finding.line)
    for number in range(start, end + 1):
        if 0 < number <= len(lines):
            line = lines[number - 1]
            if "#" in line and _silences(line, finding.code):
                return True
    return False


def filter_noqa(findings: Sequence[Finding], lines: Sequence[str]) -> list[Finding]:
    """The findings no ``# noqa`` comment silences."""
    if not findings:
        return []
    if file_is_skipped(lines):
        return []
    return [f for f in findings if not is_silenced(f, lines)]
