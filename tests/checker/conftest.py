"""Fixtures for the checker tests: small projects written to a temporary folder.

Nothing here touches a database; the checker never imports Django.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

collect_ignore_glob = ["eval_files/*"]

EVAL_ROOT = Path(__file__).parent / "eval_files"

MakeProject = Callable[[dict[str, str]], Path]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` under ``root`` (sources are dedented)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write a project (``pyproject.toml`` included when given) and return its root."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        if "pyproject.toml" not in files and not (root / "pyproject.toml").exists():
            (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
        return write_tree(root, files)

    return make


SHOP_MODELS = """
from django.db import models
from django_guarded import FSMField, GuardedManager, GuardedModel, guarded, operation, transition


class AccountManager(GuardedManager):
    @operation
    def create_trial(self, name):
        return self.create(name=name)


class Account(GuardedModel):
    status = FSMField(default="trial")
    balance = guarded(models.IntegerField(default=0))
    name = models.CharField(max_length=50)

    objects = AccountManager()

    @transition(field=status, source="trial", target="signedup")
    def signup(self):
        pass


class Note(models.Model):
    text = models.TextField()
"""
"""A one-app project used by several tests."""


@pytest.fixture
def shop(make_project: MakeProject) -> Path:
    """A project with ``shop/models.py`` (guarded Account, plain Note)."""
    return make_project({"shop/__init__.py": "", "shop/models.py": SHOP_MODELS})
