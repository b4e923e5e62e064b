"""Settings: pyproject.toml, flake8's config files, precedence and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from django_guarded.checker.config import (
    DEFAULT_ALLOWED_PATHS,
    Config,
    ConfigError,
    load_config,
)
from django_guarded.checker.paths import matches_any
from tests.checker.conftest import MakeProject


def test_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert not config.strict
    assert config.all_allowed_paths == DEFAULT_ALLOWED_PATHS


def test_pyproject_table(make_project: MakeProject) -> None:
    root = make_project(
        {
            "pyproject.toml": """
                [tool.django-guarded]
                strict = true
                fsm = true
                extend-allowed-paths = ["scripts/"]
                model-bases = ["cms.models.Page"]
                baseline = "ci/baseline.json"
                cache = false
            """
        }
    )
    config = load_config(root)
    assert config.strict
    assert config.fsm
    assert config.all_allowed_paths == (*DEFAULT_ALLOWED_PATHS, "scripts/")
    assert config.model_bases == ("cms.models.Page",)
    assert config.baseline == "ci/baseline.json"
    assert not config.cache


@pytest.mark.parametrize("name", [".flake8", "setup.cfg", "tox.ini"])
def test_flake8_config_keys(make_project: MakeProject, name: str) -> None:
    root = make_project(
        {
            name: """
                [flake8]
                max-line-length = 100
                guarded-strict = true
                guarded-allowed-paths =
                    tests/,
                    legacy/
            """
        }
    )
    config = load_config(root)
    assert config.strict
    assert config.allowed_paths == ("tests/", "legacy/")


def test_precedence(make_project: MakeProject) -> None:
    root = make_project(
        {
            "pyproject.toml": "[tool.django-guarded]\nstrict = true\nfsm = true\n",
            ".flake8": "[flake8]\nguarded-strict = false\n",
        }
    )
    config = load_config(root)
    assert not config.strict
    assert config.fsm
    assert load_config(root, {"strict": True}).strict


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("strict = 3", "strict must be true or false"),
        ('allowed-paths = "tests/"', None),
        ("allowed-paths = [1]", "allowed-paths must be a list of strings"),
        ("nope = 1", "unknown django-guarded setting 'nope'"),
        ("baseline = []", "baseline must be a string"),
    ],
)
def test_validation(make_project: MakeProject, table: str, message: str | None) -> None:
    root = make_project({"pyproject.toml": f"[tool.django-guarded]\n{table}\n"})
    if message is None:
        assert load_config(root).allowed_paths == ("tests/",)
        return
    with pytest.raises(ConfigError, match=message):
        load_config(root)


def test_broken_toml(make_project: MakeProject) -> None:
    root = make_project({"pyproject.toml": "[tool.django-guarded\n"})
    with pytest.raises(ConfigError):
        load_config(root)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("shop/migrations/0001_initial.py", True),
        ("shop/tests/test_views.py", True),
        ("shop/tests.py", True),
        ("shop/test_views.py", True),
        ("shop/views_test.py", True),
        ("conftest.py", True),
        ("shop/fixtures/make.py", True),
        ("shop/views.py", False),
        ("shop/testimonials.py", False),
        ("shop/latest_tests_app/views.py", False),
    ],
)
def test_default_allowed_paths(path: str, allowed: bool) -> None:
    assert matches_any(path, DEFAULT_ALLOWED_PATHS) is allowed


def test_anchored_patterns() -> None:
    assert matches_any("legacy/views.py", ["/legacy/"])
    assert not matches_any("shop/legacy/views.py", ["/legacy/"])
    assert matches_any("shop/legacy/views.py", ["legacy/"])


def test_allowed_paths_change_findings(make_project: MakeProject) -> None:
    from django_guarded.checker import run
    from tests.checker.conftest import SHOP_MODELS

    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/models.py": SHOP_MODELS,
            "scripts/fix.py": "from shop.models import Account\nAccount.objects.all().delete()\n",
        }
    )
    _, result = run([root / "scripts"], root=root)
    assert [f.code for f in result.findings] == ["GRD402"]
    (root / "pyproject.toml").write_text(
        '[tool.django-guarded]\nextend-allowed-paths = ["scripts/"]\n'
    )
    _, result = run([root / "scripts"], root=root)
    assert result.findings == []
