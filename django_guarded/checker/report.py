"""Findings and the ways they are printed: text, JSON and GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from django_guarded.checker.codes import severity

FORMATS = ("text", "json", "github")


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem. ``col`` is 0-based, as in the AST and flake8's API."""

    path: str
    line: int
    col: int
    code: str
    message: str
    """The full message, starting with the code (flake8's convention)."""
    source: str = field(default="", compare=False)
    """The stripped source line, used as the baseline key."""
    lines: tuple[int, int] = field(default=(0, 0), compare=False)
    """First and last line of the statement, where ``# noqa`` is looked for."""

    @property
    def severity(self) -> str:
        """``"error"`` or ``"warning"``."""
        return severity(self.code)

    @property
    def text(self) -> str:
        """The message without its leading code."""
        return self.message[len(self.code) :].lstrip()


def format_text(findings: Sequence[Finding]) -> str:
    """``path:line:col: CODE message``, one per line (columns 1-based, like flake8)."""
    return "".join(f"{f.path}:{f.line}:{f.col + 1}: {f.message}\n" for f in findings)


def format_json(findings: Sequence[Finding]) -> str:
    """A JSON list of objects with path, line, col (1-based), code, severity, message."""
    rows = []
    for finding in findings:
        row = asdict(finding)
        del row["lines"]
        row["col"] = finding.col + 1
        row["severity"] = finding.severity
        row["message"] = finding.text
        rows.append(row)
    return json.dumps(rows, indent=2) + "\n"


def _escape(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands (``::error file=...``), shown inline on PRs."""
    out = []
    for f in findings:
        props = ",".join(
            (
                f"file={_escape(f.path, prop=True)}",
                f"line={f.line}",
                f"col={f.col + 1}",
                f"title={_escape(f.code, prop=True)}",
            )
        )
        out.append(f"::{f.severity} {props}::{_escape(f.message)}\n")
    return "".join(out)


def render(findings: Sequence[Finding], fmt: str) -> str:
    """Render in one of `FORMATS`."""
    if fmt == "json":
        return format_json(findings)
    if fmt == "github":
        return format_github(findings)
    return format_text(findings)
