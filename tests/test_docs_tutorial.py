"""Every ```python block of the tutorial and the how-to guides runs, so the docs cannot rot.

The pages use the demo project's models (``demo/``), as a reader following along
would. The demo's ``bank`` app has the same label as the test suite's ``tests.bank``,
so the two cannot share one process: each page runs in its own interpreter on the
demo's settings and a fresh SQLite file (see ``tests/docs/run_blocks.py``). A page's
blocks run in order in one namespace; the first one that raises fails the test.

Code shown but not run uses another fence (```py, ```console), which this test
also counts, so a block cannot silently drop out of the run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.run_blocks import python_blocks

ROOT = Path(__file__).resolve().parent.parent

#: The pages whose ```python blocks run, with how many blocks each one has.
PAGES = {
    "docs/tutorial/pickup.md": 7,
    "docs/tutorial/signup.md": 5,
    "docs/tutorial/bank.md": 10,
    "docs/how-to/testing.md": 4,
    "docs/how-to/data-migrations.md": 2,
    "docs/how-to/forms-and-serializers.md": 4,
    "docs/concurrency.md": 4,
}

#: Pages that run against other settings than the demo's: the test suite's, whose
#: bank (tests/bank) the page is about. The demo's bank app has the same label.
SETTINGS = {"docs/concurrency.md": "tests.settings"}

#: The fences a page may use for text that is not run.
NOT_RUN = {"py", "console", "mermaid", "toml", "text"}


def run_page(
    page: Path, tmp_path: Path, settings: str | None = None
) -> subprocess.CompletedProcess[str]:
    # Without DATABASE_URL the test suite's settings use SQLite in memory: a page never
    # migrates, or writes to, the database server the suite runs on.
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    env["DEMO_DB"] = str(tmp_path / "docs.sqlite3")
    options = ["--settings", settings] if settings else []
    return subprocess.run(
        [sys.executable, "-m", "tests.docs.run_blocks", *options, str(page)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_python_block_of_the_page_runs(page: str, tmp_path: Path) -> None:
    result = run_page(ROOT / page, tmp_path, SETTINGS.get(page))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith(f"{page}: {PAGES[page]} blocks ok")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_fence_of_the_page_is_run_or_marked_as_not_run(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    fences = re.findall(r"^```(\w*)", text, re.MULTILINE)
    openings = fences[0::2]  # every other fence closes a block
    assert openings.count("python") == len(python_blocks(ROOT / page)) == PAGES[page]
    assert set(openings) - {"python"} <= NOT_RUN


def test_a_block_that_raises_fails_the_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nvalue = 1\n```\n\nText.\n\n```python\nassert value == 2, 'no'\n```\n",
        encoding="utf-8",
    )
    result = run_page(page, tmp_path)
    assert result.returncode == 1
    assert "page.md: block 2 (" in result.stderr
    assert "AssertionError: no" in result.stderr


def test_the_setup_the_tutorial_asks_for_runs(tmp_path: Path) -> None:
    """docs/tutorial/index.md's commands, from the repository's root.

    The virtual environment it makes is the one running this test: creating and
    activating it are left out, and its install is checked against what is installed.
    The database goes to this test's own directory, whatever the page exports.
    """
    from tests.docs.run_project import Output, play, steps
    from tests.test_docs_getting_started import installed

    page = ROOT / "docs" / "tutorial" / "index.md"
    overrides = {
        "python3 -m venv .venv": lambda cwd: Output("", 0),
        ". .venv/bin/activate": lambda cwd: Output("", 0),
        'python -m pip install -e ".[guardian]"': lambda cwd: installed("django-guarded[guardian]"),
    }
    database = tmp_path / "tutorial.sqlite3"
    played = play(page, ROOT, overrides, env={"DEMO_DB": str(database)})
    assert len(played) == steps(page) == 6
    assert "python -m django migrate" in played
    assert database.exists()
