"""``django_guarded._core.wording``: the sentences shared by the runtime and the mypy plugin."""

from __future__ import annotations

from django_guarded._core.wording import either, field_way_out, state_way_out, way_out


def test_alternatives_read_as_a_sentence() -> None:
    assert either(["a()"]) == "a()"
    assert either(["a()", "b()"]) == "a() or b()"
    assert either(["a()", "b()", "c()"]) == "a(), b() or c()"


def test_the_way_out_names_the_methods_or_says_what_to_write() -> None:
    assert way_out(["A.go()"], "call", "write one") == "call: A.go()"
    assert way_out([], "call", "write one") == "write one"
    assert state_way_out("Light", "state", ["Light.go()"]) == (
        "change it through a transition: Light.go()"
    )
    assert state_way_out("Light", "state", []) == (
        "declare a @transition(field=state, ...) method on Light"
    )
    assert field_way_out("Account", []) == (
        "none of Account's methods changes it: write a @transition or @operation method on "
        "Account that does"
    )
