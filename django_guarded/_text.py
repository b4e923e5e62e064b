"""Wording shared by the runtime error messages and the mypy plugin.

It imports nothing, so the mypy plugin can use it without loading Django.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["either"]


def either(labels: Sequence[str]) -> str:
    """``labels`` as alternatives in a sentence: ``a``, ``a or b``, ``a, b or c``."""
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " or " + labels[-1]
