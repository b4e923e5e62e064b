"""Baselines: old findings are tolerated, new ones fail, line moves do not matter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from django_guarded.checker.cli import main

VIEWS = """
from shop.models import Account


def view(pk):
    account = Account.objects.get(pk=pk)
    account.status = "x"
    account.save()
    account.save()
"""


@pytest.fixture
def project(shop: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (shop / "views.py").write_text(VIEWS)
    monkeypatch.chdir(shop)
    return shop


def test_write_baseline_then_pass(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write-baseline"]) == 0
    data = json.loads((project / "django-guarded-baseline.json").read_text())
    assert data == {
        "version": 1,
        "findings": [
            {"file": "views.py", "code": "GRD101", "source": 'account.status = "x"', "count": 1},
            {"file": "views.py", "code": "GRD201", "source": "account.save()", "count": 2},
        ],
    }
    capsys.readouterr()
    assert main([]) == 0
    assert "3 finding(s) hidden by the baseline" in capsys.readouterr().err
    assert main(["--no-baseline"]) == 1


def test_unrelated_edits_keep_the_baseline_valid(project: Path) -> None:
    main(["--write-baseline"])
    views = project / "views.py"
    moved = '"""Docs."""\nimport os\n\n\n' + views.read_text().replace(
        "    account.", "    # hi\n    account."
    )
    views.write_text(moved)
    (project / "shop" / "models.py").write_text(
        (project / "shop" / "models.py").read_text() + "\n# a comment\n"
    )
    assert main([]) == 0


def test_new_findings_fail_including_one_more_of_the_same(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--write-baseline"])
    views = project / "views.py"
    views.write_text(views.read_text() + "    account.save()\n    account.delete()\n")
    assert main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == ["GRD201", "GRD202"]


def test_custom_baseline_location(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.django-guarded]\nbaseline = "ci/guarded-baseline.json"\n'
    )
    (project / "ci").mkdir()
    assert main(["--write-baseline"]) == 0
    assert (project / "ci" / "guarded-baseline.json").is_file()
    assert main([]) == 0


def test_a_broken_baseline_is_an_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "django-guarded-baseline.json").write_text("[]")
    assert main([]) == 2
    assert "not a django-guarded baseline" in capsys.readouterr().err


def test_baseline_keys_do_not_depend_on_the_current_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["--write-baseline"])
    monkeypatch.chdir(project.parent)
    assert main([str(project)]) == 0
