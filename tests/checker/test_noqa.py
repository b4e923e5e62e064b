"""``# noqa`` handling in the standalone command (flake8 handles its own)."""

from __future__ import annotations

from django_guarded.checker.noqa import file_is_skipped, filter_noqa
from django_guarded.checker.report import Finding


def finding(line: int, code: str = "GRD101", lines: tuple[int, int] = (0, 0)) -> Finding:
    return Finding("x.py", line, 0, code, f"{code} message", "", lines)


def test_codes_prefixes_and_bare_noqa() -> None:
    lines = [
        "a.status = 1  # noqa",
        "a.status = 1  # noqa: GRD101",
        "a.status = 1  # noqa:GRD1",
        "a.status = 1  # NOQA: E501,GRD101",
        "a.status = 1  # noqa: E501",
        "a.status = 1  # noqa: GRD201 GRD101",
        "a.status = 1",
    ]
    kept = filter_noqa([finding(n) for n in range(1, 8)], lines)
    assert [f.line for f in kept] == [5, 7]


def test_noqa_anywhere_in_the_statement() -> None:
    lines = ["Account.objects.filter(", "    pk=1,", ").update(x=1)  # noqa: GRD401", "x = 1"]
    assert filter_noqa([finding(1, "GRD401", (1, 3))], lines) == []
    assert len(filter_noqa([finding(1, "GRD401", (1, 1))], lines)) == 1


def test_file_level_opt_out() -> None:
    assert file_is_skipped(["import os", "# flake8: noqa", "x = 1"])
    assert not file_is_skipped(["x = 1  # flake8: noqa"])
    assert filter_noqa([finding(1)], ["# flake8: noqa"]) == []
