"""The demo site: ``python -m demo --check`` sets it up, tries it, and says ok."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEMO_DB")}
    return subprocess.run(
        [sys.executable, "-m", "demo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_demo_sets_itself_up_twice_and_works(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    first = run_demo("--check", "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "http://127.0.0.1:8000/admin/" in first.stdout
    for login in ("admin", "alice", "teller", "support", "dispatcher", "driver1"):
        assert f"\n  {login} " in first.stdout
    assert first.stdout.rstrip().endswith("demo check: ok")
    # Running it again finds everything in place and changes nothing.
    second = run_demo("--no-server", "--db", str(db), "--port", "8123")
    assert second.returncode == 0, second.stderr
    assert "http://127.0.0.1:8123/admin/" in second.stdout
    assert second.stdout.rstrip().endswith("demo check: ok")
