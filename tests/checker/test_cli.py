"""The standalone command: formats, exit codes, options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_guarded.checker.cli import main

REPO = Path(__file__).resolve().parents[2]
VIEWS = """
from shop.models import Account, Note


def view(pk):
    account = Account.objects.get(pk=pk)
    account.status = "x"
    Note.objects.get(pk=pk).save()
"""


@pytest.fixture
def project(shop: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (shop / "views.py").write_text(VIEWS)
    monkeypatch.chdir(shop)
    return shop


def test_text_output_and_exit_status(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["views.py"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("views.py:7:5: GRD101 assignment to Account.status outside Account")
    assert out.count("\n") == 1


def test_clean_run_exits_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shop"]) == 0
    assert capsys.readouterr().out == ""


def test_strict_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--strict", "views.py"]) == 1
    codes = [line.split()[1] for line in capsys.readouterr().out.splitlines()]
    assert codes == ["GRD101", "GRD201"]


def test_json_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "json", "views.py"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "path": "views.py",
            "line": 7,
            "col": 5,
            "code": "GRD101",
            "message": rows[0]["message"],
            "source": 'account.status = "x"',
            "severity": "error",
        }
    ]
    assert rows[0]["message"].startswith("assignment to Account.status")


def test_github_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "repair.py").write_text(
        "from django_guarded import unguarded\n\nwith unguarded():\n    pass\n"
    )
    assert main(["--format", "github", "views.py", "repair.py"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("::error file=views.py,line=7,col=5,title=GRD101::GRD101 ")
    assert lines[1].startswith("::warning file=repair.py,line=3,col=6,title=GRD501::GRD501 ")


def test_exit_zero_and_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--exit-zero", "views.py"]) == 0
    assert "GRD101" in capsys.readouterr().out
    assert main(["--ignore", "GRD1", "views.py"]) == 0


def test_missing_path_and_bad_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nowhere.py"]) == 2
    assert "no such file" in capsys.readouterr().err
    (project / "pyproject.toml").write_text("[tool.django-guarded]\nstrictt = true\n")
    assert main(["views.py"]) == 2
    assert "unknown django-guarded setting 'strictt'" in capsys.readouterr().err


def test_stats_show_the_cache_at_work(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--stats", "."])
    assert "(3 parsed, 0 cached)" in capsys.readouterr().err
    main(["--stats", "."])
    assert "(0 parsed, 3 cached)" in capsys.readouterr().err
    main(["--stats", "--no-cache", "."])
    assert "(3 parsed, 0 cached)" in capsys.readouterr().err


def test_default_path_is_the_current_folder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 1
    assert "views.py:7:5: GRD101" in capsys.readouterr().out


def test_python_dash_m_and_console_script_agree(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "django_guarded.checker", "--strict", "views.py"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout.count("GRD") == 2
