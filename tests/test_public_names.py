"""The package's public names, imported lazily on first use."""

from __future__ import annotations

import django_guarded


def test_every_public_name_has_a_home_and_resolves() -> None:
    assert sorted(django_guarded._LOCATIONS) == sorted(django_guarded.__all__)
    for name in django_guarded.__all__:
        assert getattr(django_guarded, name) is not None, name
    assert set(django_guarded.__all__) <= set(dir(django_guarded))
