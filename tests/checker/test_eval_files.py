"""Accuracy: every eval file's findings must equal the ``# error:`` comments in it.

Each line of ``eval_files/**/*.py`` may end with ``# error: GRD101`` (several
codes separated by commas). A file may start with ``# checker-options:
strict, fsm`` to turn modes on. A missing or an extra finding fails.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from django_guarded.checker import Project, load_config, run
from tests.checker.conftest import EVAL_ROOT

EXPECTED = re.compile(r"# error: (?P<codes>GRD\d+(?:\s*,\s*GRD\d+)*)\s*$")
OPTIONS = re.compile(r"^# checker-options: (?P<options>.*)$", re.MULTILINE)
EVAL_FILES = sorted(p.relative_to(EVAL_ROOT).as_posix() for p in EVAL_ROOT.rglob("*.py"))


def expected_findings(text: str) -> Counter[tuple[int, str]]:
    """``(line, code)`` pairs announced by ``# error:`` comments."""
    found: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECTED.search(line)
        if match:
            for code in match.group("codes").split(","):
                found[(number, code.strip())] += 1
    return found


def options_of(text: str) -> dict[str, object]:
    match = OPTIONS.search(text)
    names = [n.strip() for n in match.group("options").split(",")] if match else []
    return {"cache": False, **{name: True for name in names if name}}


_PROJECTS: dict[str, Project] = {}


def eval_project(options: dict[str, object]) -> Project:
    """One index of the eval tree per set of options, shared by the tests."""
    key = repr(sorted(options.items()))
    if key not in _PROJECTS:
        _PROJECTS[key] = Project(EVAL_ROOT, load_config(EVAL_ROOT, options))
    return _PROJECTS[key]


def test_there_is_an_eval_file_for_every_rule() -> None:
    codes: set[str] = set()
    for rel in EVAL_FILES:
        codes |= {code for _, code in expected_findings((EVAL_ROOT / rel).read_text())}
    from django_guarded.checker.codes import RULES

    assert codes == set(RULES)


@pytest.mark.parametrize("rel", EVAL_FILES)
def test_eval_file(rel: str) -> None:
    path = EVAL_ROOT / rel
    text = path.read_text(encoding="utf-8")
    project = eval_project(options_of(text))
    _, result = run([path], project=project, use_baseline=False)
    got = Counter((f.line, f.code) for f in result.findings)
    expected = expected_findings(text)
    lines = text.splitlines()
    missing = sorted((expected - got).elements())
    extra = sorted((got - expected).elements())
    report = [f"missing {code} at {line}: {lines[line - 1].strip()}" for line, code in missing]
    report += [f"extra {code} at {line}: {lines[line - 1].strip()}" for line, code in extra]
    assert not report, "\n".join(report)


def test_eval_files_exist() -> None:
    assert len(EVAL_FILES) >= 10
    assert any(Path(rel).parts[1:2] == ("migrations",) for rel in EVAL_FILES)
