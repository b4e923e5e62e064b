"""The package's public names, imported lazily on first use."""

from __future__ import annotations

import django_guarded


def test_every_public_name_has_a_home_and_resolves() -> None:
    assert sorted(django_guarded._LOCATIONS) == sorted(django_guarded.__all__)
    for name in django_guarded.__all__:
        assert getattr(django_guarded, name) is not None, name
    assert set(django_guarded.__all__) <= set(dir(django_guarded))


def test_the_names_a_django_fsm_user_imports_are_django_fsms_own() -> None:
    import django_fsm

    assert django_guarded.ANY_STATE == django_fsm.ANY_STATE == "*"
    assert django_guarded.ANY_OTHER_STATE == django_fsm.ANY_OTHER_STATE == "+"
    assert django_guarded.Transition is django_fsm.Transition
