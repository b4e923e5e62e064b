"""The package's public names, imported lazily on first use."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from django.db import models
from django.utils.module_loading import import_string

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


def _plugin_names() -> Any:
    """The mypy plugin's names module, loaded alone: its package imports mypy."""
    path = Path(django_guarded.__file__).parent / "mypy_plugin" / "names.py"
    spec = importlib.util.spec_from_file_location("plugin_names", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mypy_plugin_names_the_real_objects() -> None:
    names = _plugin_names()
    for attribute in names.__all__:
        values = getattr(names, attribute)
        for fullname in values if isinstance(values, tuple) else [values]:
            if not fullname.startswith("django_guarded."):
                continue
            module, _, qualname = fullname.rpartition(".")
            obj = getattr(importlib.import_module(module), qualname)
            assert f"{obj.__module__}.{obj.__qualname__}" == fullname, attribute


@pytest.mark.parametrize(
    "field",
    [
        django_guarded.FSMField(default="a"),
        django_guarded.FSMIntegerField(default=0),
        django_guarded.FSMKeyField("testapp.DocumentState", on_delete=models.PROTECT),
        django_guarded.VersionField(),
    ],
    ids=lambda field: type(field).__name__,
)
def test_migrations_name_each_field_by_its_public_path(field: Any) -> None:
    _, path, _, _ = field.deconstruct()
    assert path == f"django_guarded.{type(field).__name__}"
    assert import_string(path) is type(field)
