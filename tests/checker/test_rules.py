"""Rule details that the eval files cannot show on every Python version."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from django_guarded.checker import run
from django_guarded.checker.cli import main


def codes_for(root: Path, source: str, **overrides: object) -> list[str]:
    (root / "views.py").write_text(source)
    _, result = run([root / "views.py"], root=root, overrides=overrides)
    assert result.errors == []
    return [f.code for f in result.findings]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+")
def test_try_star(shop: Path) -> None:
    source = (
        "from shop.models import Account\n"
        "def f(pk):\n"
        "    try:\n"
        "        account = Account.objects.get(pk=pk)\n"
        "        account.save()\n"
        "    except* ValueError:\n"
        "        pass\n"
    )
    assert codes_for(shop, source) == ["GRD201"]


def test_match_statement(shop: Path) -> None:
    source = (
        "from shop.models import Account\n"
        "def f(pk, command):\n"
        "    account = Account.objects.get(pk=pk)\n"
        "    match command:\n"
        "        case {'status': status}:\n"
        "            account.status = status\n"
        "        case [account, *rest]:\n"
        "            account.save()\n"
    )
    assert codes_for(shop, source) == ["GRD101"]


def test_syntax_errors_are_skipped(shop: Path) -> None:
    assert codes_for(shop, "def broken(:\n") == []


def test_a_crash_is_reported_not_fatal(
    shop: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from django_guarded.checker import rules

    def explode(self: object, tree: object) -> None:
        raise RuntimeError("boom")

    (shop / "views.py").write_text("from shop.models import Account\nAccount()\n")
    monkeypatch.setattr(rules.FileChecker, "check", explode)
    monkeypatch.chdir(shop)
    assert main(["views.py"]) == 1
    assert "views.py: internal error RuntimeError('boom')" in capsys.readouterr().err


def test_messages_name_the_model_and_what_to_call(shop: Path) -> None:
    (shop / "views.py").write_text(
        "from shop.models import Account\n"
        "def f(account: Account):\n"
        "    account.status = 'x'\n"
        "    Account.objects.create(name='x')\n"
    )
    _, result = run([shop / "views.py"], root=shop)
    field, create = (f.message for f in result.findings)
    assert field.startswith("GRD101 assignment to Account.status outside Account")
    assert "Account.signup()" in field
    assert create.startswith("GRD302 Account.objects.create() outside Account's manager")
    assert "Account.objects.create_trial()" in create
