"""docs/getting-started.md, played from an empty directory: every block runs.

`tests.docs.run_project` runs the page's commands, writes its files and types its
Python into ``manage.py shell``, comparing what each prints with what the page shows.
Three commands are replaced by what the page says they do: ``pip install`` (what it
would install is installed here), ``createsuperuser`` (without its prompts) and
``runserver`` (the admin pages the page describes, fetched with Django's test client).
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.docs.run_project import Output, PageFailed, play, run, steps

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "getting-started.md"
INSTALL = 'pip install "django-guarded[guardian]"'
USER, PASSWORD = "admin", "a-long-demo-password"


def installed(requirement: str) -> Output:
    """What ``pip install requirement`` would print: nothing, if everything is installed."""
    wanted = Requirement(requirement)
    missing = []
    for line in metadata.requires(wanted.name) or []:
        needed = Requirement(line)
        extras = ["", *wanted.extras]
        if needed.marker and not any(needed.marker.evaluate({"extra": e}) for e in extras):
            continue
        try:
            version = metadata.version(needed.name)
        except metadata.PackageNotFoundError:
            missing.append(f"{needed} (not installed)")
            continue
        if not needed.specifier.contains(version, prereleases=True):
            missing.append(f"{needed} (installed: {version})")
    return Output("\n".join(missing), 1 if missing else 0)


def createsuperuser(cwd: Path) -> Output:
    """``createsuperuser``, with the answers to its prompts given in its environment."""
    answers = {
        "DJANGO_SUPERUSER_USERNAME": USER,
        "DJANGO_SUPERUSER_EMAIL": f"{USER}@example.com",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    argv = [sys.executable, "manage.py", "createsuperuser", "--noinput"]
    done = run(argv, cwd, answers)
    if done.returncode or done.text.strip() != "Superuser created successfully.":
        return done
    return Output("", 0)  # the page shows no transcript of the prompts


#: What the page says of the admin, checked as the superuser, with the test client.
ADMIN_TOUR = r"""
import json
import re
from django.test import Client
from django.test.utils import setup_test_environment
from traffic.models import TrafficLight

setup_test_environment()
client = Client()
assert client.login(username=USER, password=PASSWORD)
light = TrafficLight.objects.get(location="Main Street")
changelist = client.get("/admin/traffic/trafficlight/")
change = client.get(f"/admin/traffic/trafficlight/{light.pk}/change/")
page = change.content.decode()
pressed = client.post(f"/admin/traffic/trafficlight/{light.pk}/transition/slow_down/")
light.refresh_from_db()
print(json.dumps({
    "statuses": [changelist.status_code, change.status_code, pressed.status_code],
    "listed": "Main Street" in changelist.content.decode(),
    "add link": "/admin/traffic/trafficlight/add/" in changelist.content.decode(),
    "buttons": sorted(set(re.findall(r'data-transition="(\w+)"', page))),
    "inputs": sorted(set(re.findall(r'<input[^>]* name="(\w+)"', page))),
    "audit trail": "guarded-audit-trail" in page and page.count("guarded-audit-row"),
    "state after pressing": light.state,
}))
"""


def runserver(cwd: Path) -> Output:
    """The pages the page describes: what a browser on the development server would get."""
    script = f"USER, PASSWORD = {USER!r}, {PASSWORD!r}\n" + ADMIN_TOUR
    done = run([sys.executable, "manage.py", "shell", "-v", "0", "-c", script], cwd)
    if done.returncode:
        return done
    seen = json.loads(done.text.strip().splitlines()[-1])
    expected = {
        "statuses": [200, 200, 302],
        "listed": True,
        "add link": False,
        "buttons": ["slow_down"],  # green: the one transition from its state
        # The form edits the location only; no "Save and add another": adding is off.
        "inputs": ["_continue", "_save", "csrfmiddlewaretoken", "location"],
        "audit trail": 2,
        "state after pressing": "yellow",
    }
    problems = {key: seen.get(key) for key in expected if seen.get(key) != expected[key]}
    if problems:
        return Output(f"the admin differs from the page: {problems} (saw {seen})", 1)
    return Output("", 0)


OVERRIDES = {
    INSTALL: lambda cwd: installed("django-guarded[guardian]"),
    "python manage.py createsuperuser": createsuperuser,
    "python manage.py runserver": runserver,
}


def test_every_block_of_the_page_runs(tmp_path: Path) -> None:
    played = play(PAGE, tmp_path, OVERRIDES, appended={"mysite/settings.py"})
    assert played[:4] == [
        INSTALL,
        "django-admin startproject mysite",
        "cd mysite",
        "python manage.py startapp traffic",
    ]
    assert played[-1] == "python manage.py guarded_verify"
    assert len(played) == steps(PAGE)


def test_the_install_command_is_checked_against_what_is_installed() -> None:
    assert installed("django-guarded[guardian]") == Output("", 0)
    # An extra's requirements count: Django's argon2 extra needs argon2-cffi.
    assert (installed("Django[argon2]").returncode == 0) == _has("argon2-cffi")


def _has(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_output_other_than_the_page_shows_fails(tmp_path: Path) -> None:
    page = _page(tmp_path, "```console\n$ python -c \"print('one')\"\ntwo\n```\n")
    with pytest.raises(PageFailed, match="printed:\none"):
        play(page, tmp_path)


def test_a_failing_command_fails_unless_the_page_shows_its_error(tmp_path: Path) -> None:
    failing = "$ python -c \"raise SystemExit('CommandError: no')\"\nCommandError: no\n"
    assert play(_page(tmp_path, f"```console\n{failing}```\n"), tmp_path)
    quiet = '```console\n$ python -c "raise SystemExit(3)"\n```\n'
    with pytest.raises(PageFailed, match="exited with status 3"):
        play(_page(tmp_path, quiet), tmp_path)


def test_a_fence_that_is_neither_run_nor_written_fails(tmp_path: Path) -> None:
    with pytest.raises(PageFailed, match="neither run nor written"):
        play(_page(tmp_path, "```py\nx = 1\n```\n"), tmp_path)


def test_files_are_written_or_added_to(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("A = 1\n", encoding="utf-8")
    (tmp_path / "models.py").write_text("old\n", encoding="utf-8")
    page = _page(
        tmp_path,
        '```python title="settings.py"\nB = 2\n```\n\n```python title="models.py"\nnew = 1\n```\n',
    )
    play(page, tmp_path, appended={"settings.py"})
    assert (tmp_path / "settings.py").read_text() == "A = 1\n\nB = 2\n"
    assert (tmp_path / "models.py").read_text() == "new = 1\n"
