"""Wording shared by the runtime error messages and the mypy plugin.

It imports nothing, so the mypy plugin can use it without loading Django.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

__all__ = ["Body", "either", "field_way_out", "state_way_out", "way_out", "writers"]

#: What one method's source says: the attributes it assigns on ``self`` (``None``
#: when its source could not be read, or it assigns through names it computes) and
#: the names of the methods it calls on ``self``.
Body = tuple[Collection[str] | None, Collection[str]]


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
    """How to change a guarded field of ``model``: ``ways`` are the model's own methods
    that assign it (see `writers`)."""
    return way_out(
        ways,
        "change it inside one of the model's own methods",
        f"none of {model}'s methods changes it: write a @transition or @operation "
        f"method on {model} that does",
    )


def writers(
    methods: Sequence[str], bodies: Mapping[str, Body], attributes: Collection[str]
) -> list[str]:
    """The ``methods`` that assign one of ``attributes``, in their order.

    A method assigns an attribute when its own body does, or one of the methods it
    calls on ``self`` does (those that ``bodies`` knows: the model's own). A method
    whose body is unknown, or missing from ``bodies``, might: it is named too, so
    with no source at all every one of ``methods`` is.
    """

    def assigns_itself(name: str) -> bool:
        assigned = bodies.get(name, (None, ()))[0]
        return assigned is None or any(attribute in assigned for attribute in attributes)

    def assigns(name: str) -> bool:
        todo, seen = [name], {name}
        while todo:
            current = todo.pop()
            if assigns_itself(current):
                return True
            for called in bodies.get(current, (None, ()))[1]:
                if called in bodies and called not in seen:
                    seen.add(called)
                    todo.append(called)
        return False

    return [name for name in methods if assigns(name)]
