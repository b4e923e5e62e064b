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


#: Buttons pressed through the demo's admin, as its users would, before the check runs.
USED_THROUGH_THE_ADMIN = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from demo.bank.models import Account
from demo.pickup.models import Pickup

setup_test_environment()

def press(username, url, **data):
    client = Client()
    assert client.login(username=username, password=username)
    response = client.post(url, {"_guarded_confirm": "1", **data})
    assert response.status_code == 302, (username, url, response.status_code)

alice = Account.objects.get(user__username="alice")
waiting = Pickup.objects.get(state="waiting")
press("alice", f"/admin/bank/account/{alice.pk}/transition/deposit/", amount="25")
press("driver1", f"/admin/pickup/pickup/{waiting.pk}/transition/accept/")
press("teller", f"/admin/bank/account/{alice.pk}/transition/freeze/")
alice.refresh_from_db()
waiting.refresh_from_db()
print(alice.balance, alice.state, waiting.state)
"""


def test_the_check_passes_on_a_database_used_through_the_admin(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    assert run_demo("--check", "--db", str(db)).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    used = subprocess.run(
        [sys.executable, "-c", USED_THROUGH_THE_ADMIN],
        cwd=ROOT,
        env={**env, "DEMO_DB": str(db)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert used.returncode == 0, used.stderr
    # One deposit of 25 on the seeded 250, the waiting pickup taken, the account frozen.
    assert used.stdout.split() == ["275.00", "frozen", "to_airport"]
    again = run_demo("--check", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert again.stdout.rstrip().endswith("demo check: ok")
