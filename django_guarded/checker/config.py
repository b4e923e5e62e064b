"""Settings of the checker: defaults, ``pyproject.toml`` and flake8's config files.

Precedence, lowest first: built-in defaults, ``[tool.django-guarded]`` in
``pyproject.toml``, ``guarded-*`` keys of the ``[flake8]`` section (in
``.flake8``, ``setup.cfg`` or ``tox.ini``), then command-line flags. The
standalone command and the flake8 plugin read the same files, so they report
the same findings.
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    try:
        import tomli as tomllib
    except ImportError:  # reading pyproject.toml then says what to install
        tomllib = None

DEFAULT_ALLOWED_PATHS = (
    "tests/",
    "test/",
    "testing/",
    "test_*.py",
    "*_test.py",
    "*_tests.py",
    "tests.py",
    "conftest.py",
    "migrations/",
    "fixtures/",
)
"""Paths where every rule is off: tests, migrations and fixtures."""

DEFAULT_UNGUARDED_ALLOWED_PATHS = ("management/commands/",)
"""Extra paths where ``unguarded()`` (GRD501) is fine."""

DEFAULT_BASELINE = "django-guarded-baseline.json"
DEFAULT_CACHE_DIR = ".django-guarded-cache"


class ConfigError(ValueError):
    """A configuration value has the wrong type or an unknown key was given."""


@dataclass(frozen=True)
class Config:
    """Everything that changes what the checker reports."""

    strict: bool = False
    """Apply GRD1xx-GRD4xx to every Django model, not only guarded ones."""
    fsm: bool = False
    """django-fsm mode: their FSM fields are guarded and GRD601 is on."""
    allowed_paths: tuple[str, ...] = DEFAULT_ALLOWED_PATHS
    extend_allowed_paths: tuple[str, ...] = ()
    unguarded_allowed_paths: tuple[str, ...] = DEFAULT_UNGUARDED_ALLOWED_PATHS
    model_bases: tuple[str, ...] = ()
    """Dotted names of third-party classes to treat as Django models."""
    guarded_model_bases: tuple[str, ...] = ()
    """Dotted names of classes whose subclasses are guarded models."""
    manager_bases: tuple[str, ...] = ()
    """Dotted names of third-party manager or queryset classes."""
    external_modules: tuple[str, ...] = ()
    """Installed modules to index as well (found on ``sys.path``, never imported)."""
    follow_imports: bool = True
    """Read installed third-party modules that project models derive from."""
    index_paths: tuple[str, ...] = (".",)
    """Folders parsed to learn the project's models (relative to the root)."""
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    """Rule codes (or prefixes) not reported."""
    baseline: str = DEFAULT_BASELINE
    cache: bool = True
    cache_dir: str = DEFAULT_CACHE_DIR

    @property
    def all_allowed_paths(self) -> tuple[str, ...]:
        """Paths where GRD1xx-GRD4xx and GRD6xx are off."""
        return self.allowed_paths + self.extend_allowed_paths

    def index_key(self) -> tuple[object, ...]:
        """The settings that change what the project index contains."""
        return (
            self.model_bases,
            self.guarded_model_bases,
            self.manager_bases,
            self.external_modules,
            self.follow_imports,
            self.index_paths,
            self.exclude,
        )

    def with_values(self, values: Mapping[str, Any]) -> Config:
        """A copy with ``values`` (keys in kebab or snake case) applied, validated."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for raw_key, value in values.items():
            key = raw_key.replace("-", "_")
            if key not in known:
                raise ConfigError(f"unknown django-guarded setting {raw_key!r}")
            default = getattr(Config(), key)
            changes[key] = _coerce(raw_key, value, default)
        return replace(self, **changes)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{key} must be true or false, not {value!r}")
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [part.strip() for part in value.replace("\n", ",").split(",")]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings, not {value!r}")
        return tuple(v for v in value if v)
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, not {value!r}")
    return value


def read_pyproject(root: Path) -> dict[str, Any]:
    """The ``[tool.django-guarded]`` table of ``root/pyproject.toml`` (empty if none)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        if "django-guarded" in text:
            raise ConfigError(f"{path}: reading it on Python 3.10 needs tomli: pip install tomli")
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    table = data.get("tool", {}).get("django-guarded", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.django-guarded] must be a table")
    return table


FLAKE8_PREFIX = "guarded-"
FLAKE8_FILES = (".flake8", "setup.cfg", "tox.ini")


def read_flake8_config(root: Path) -> dict[str, str]:
    """The ``guarded-*`` keys of the first flake8 config file in ``root``, prefix removed."""
    for name in FLAKE8_FILES:
        path = root / name
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        if not parser.has_section("flake8"):
            continue
        return {
            key[len(FLAKE8_PREFIX) :]: value
            for key, value in parser.items("flake8")
            if key.startswith(FLAKE8_PREFIX)
        }
    return {}


def load_config(root: Path, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read the configuration for the project at ``root``; ``overrides`` win."""
    config = Config().with_values(read_pyproject(root))
    config = config.with_values(read_flake8_config(root))
    if overrides:
        config = config.with_values(overrides)
    return config


__all__ = [
    "DEFAULT_ALLOWED_PATHS",
    "DEFAULT_UNGUARDED_ALLOWED_PATHS",
    "Config",
    "ConfigError",
    "load_config",
    "read_flake8_config",
    "read_pyproject",
]
