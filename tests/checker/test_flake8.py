"""The flake8 plugin, run through flake8 itself, reports what the command reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_guarded.checker import run
from django_guarded.checker.flake8 import GuardedChecker, _selected
from tests.checker.conftest import EVAL_ROOT, write_tree

pytest.importorskip("flake8")

REPO = Path(__file__).resolve().parents[2]


def _installed() -> bool:
    """Whether the package's ``flake8.extension`` entry point is installed."""
    from importlib.metadata import entry_points

    return any(ep.name == "GRD" for ep in entry_points(group="flake8.extension"))


# Registered as a local plugin when the package is not installed (registering it
# twice would make flake8 refuse the duplicate --guarded-* options).
LOCAL_PLUGIN = (
    ""
    if _installed()
    else f"""
[flake8:local-plugins]
extension =
    GRD = django_guarded.checker.flake8:GuardedChecker
paths = {REPO}
"""
)
VIEWS = """
from shop.models import Account, Note


def view(pk):
    account = Account.objects.get(pk=pk)
    account.status = "x"
    account.save()  # noqa: GRD201
    Note.objects.get(pk=pk).save()
"""


def flake8(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flake8", *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, check=False)


def codes(output: str) -> list[str]:
    return [line.split(": ", 1)[1].split()[0] for line in output.splitlines() if ": GRD" in line]


@pytest.fixture
def project(shop: Path) -> Path:
    (shop / "views.py").write_text(VIEWS)
    (shop / ".flake8").write_text("[flake8]\n" + LOCAL_PLUGIN)
    return shop


def test_plugin_reports_with_noqa(project: Path) -> None:
    done = flake8(project, "--select=GRD", "views.py")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("views.py:7:5: GRD101 assignment to Account.status")
    assert codes(done.stdout) == ["GRD101"]


def test_strict_from_flake8_config_and_flag(project: Path) -> None:
    assert codes(flake8(project, "--select=GRD", "--guarded-strict", "views.py").stdout) == [
        "GRD101",
        "GRD201",
    ]
    (project / ".flake8").write_text("[flake8]\nguarded-strict = true\n" + LOCAL_PLUGIN)
    assert codes(flake8(project, "--select=GRD", "views.py").stdout) == ["GRD101", "GRD201"]


def test_pyproject_settings_apply_to_the_plugin(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.django-guarded]\nstrict = true\nextend-allowed-paths = ["legacy/"]\n'
    )
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(VIEWS)
    done = flake8(project, "--select=GRD", "views.py", "legacy/old.py")
    assert codes(done.stdout) == ["GRD101", "GRD201"]


def test_not_selected_means_not_run(project: Path) -> None:
    done = flake8(project, "--select=F", "views.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_baseline_applies_to_the_plugin(project: Path) -> None:
    from django_guarded.checker.cli import main

    cwd = Path.cwd()
    os.chdir(project)
    try:
        assert main(["--write-baseline", "views.py"]) == 0
    finally:
        os.chdir(cwd)
    assert flake8(project, "--select=GRD", "views.py").stdout == ""
    (project / "views.py").write_text(VIEWS + "    Account.objects.all().delete()\n")
    assert codes(flake8(project, "--select=GRD", "views.py").stdout) == ["GRD402"]


def test_same_findings_as_the_command_on_the_eval_files(tmp_path: Path) -> None:
    """flake8 (two worker processes) and the command agree on every eval file."""
    config = "[flake8]\nguarded-fsm = true\n" + LOCAL_PLUGIN
    root = write_tree(tmp_path / "evals", {".flake8": config})
    for source in EVAL_ROOT.rglob("*.py"):
        target = root / source.relative_to(EVAL_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    done = flake8(root, "--select=GRD", "--jobs=2", ".")
    assert done.stderr == ""
    via_flake8 = sorted(
        (line.split(":")[0].removeprefix("./"), int(line.split(":")[1]), line.split()[1])
        for line in done.stdout.splitlines()
    )
    _, result = run([root], root=root, overrides={"fsm": True})
    via_command = sorted(
        (Path(f.path).resolve().relative_to(root).as_posix(), f.line, f.code)
        for f in result.findings
    )
    assert via_flake8 == via_command
    assert len(via_command) > 50


def test_selection_logic() -> None:
    class Options:
        select: list[str] | None = None
        extend_select: list[str] | None = None

    options = Options()
    assert _selected(options)
    options.select = ["F"]
    assert not _selected(options)
    options.extend_select = ["GRD1"]
    assert _selected(options)
    options.extend_select = None
    options.select = ["G"]
    assert _selected(options)


def test_plugin_metadata() -> None:
    assert GuardedChecker.name == "django-guarded"
    assert GuardedChecker.version
