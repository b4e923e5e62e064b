"""The table the benchmark scripts print: each measurement beside its baseline and target."""

from __future__ import annotations

from collections.abc import Sequence

HEADER = ("benchmark", "baseline", "baseline", "django-guarded", "ratio", "target", "met")


def row(
    name: str, baseline: str, base: str, value: str, ratio: str, target: str, met: bool | None
) -> tuple[str, ...]:
    """One line of the table; ``met`` is ``None`` for a figure that is only reported."""
    return (
        name,
        baseline,
        base,
        value,
        ratio,
        target,
        "-" if met is None else ("yes" if met else "NO"),
    )


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Print ``rows`` under `HEADER`, each column as wide as its widest cell."""
    lines = [HEADER, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    for index, line in enumerate(lines):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("-+-".join("-" * width for width in widths))
