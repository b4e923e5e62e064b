"""Wording shared by the runtime error messages and the mypy plugin.

It imports nothing, so the mypy plugin can use it without loading Django.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["either", "field_way_out", "state_way_out", "way_out"]


def either(labels: Sequence[str]) -> str:
    """``labels`` as alternatives in a sentence: ``a``, ``a or b``, ``a, b or c``."""
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def way_out(ways: Sequence[str], lead: str, otherwise: str) -> str:
    """``lead: a, b or c`` naming the methods to call, or ``otherwise`` if there are none."""
    return f"{lead}: {either(ways)}" if ways else otherwise


def state_way_out(model: str, field: str, ways: Sequence[str]) -> str:
    """How to change the state field ``field`` of ``model``: ``ways`` are its transitions."""
    return way_out(
        ways,
        "change it through a transition",
        f"declare a @transition(field={field}, ...) method on {model}",
    )


def field_way_out(model: str, ways: Sequence[str]) -> str:
    """How to change a guarded field of ``model``: ``ways`` are the model's own methods."""
    return way_out(
        ways,
        "change it inside one of the model's own methods",
        f"write a @transition or @operation method on {model} that changes it",
    )
