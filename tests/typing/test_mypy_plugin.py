"""django_guarded.mypy_plugin, run through mypy on ``cases/guarded_writes.py``.

Each line of the cases file that ends in ``# E: <code>`` must get exactly that error,
and no other line any; the test project's models, full of transitions, operations
and manager methods that write guarded fields, must get no ``guarded-field`` error.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The tests session does not install mypy; `nox -s mypy` (which CI runs) does.
_WHERE = "needs mypy and django-stubs: `nox -s mypy` runs it"
api = pytest.importorskip("mypy.api", reason=_WHERE)
pytest.importorskip("mypy_django_plugin", reason=_WHERE)

pytestmark = pytest.mark.mypy

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CASES = HERE / "cases" / "guarded_writes.py"
MODELS = ["tests/testapp/models.py", "tests/bank/models.py"]

LINE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[a-z-]+)\])?$"
)
EXPECTED = re.compile(r"# E: (?P<code>[a-z-]+)\s*$")


def _config(tmp: Path) -> Path:
    """tests/typing/mypy.ini, with the test project's models checked too."""
    parser = configparser.ConfigParser()
    parser.read(HERE / "mypy.ini")
    parser.remove_section("mypy-django_guarded.*,tests.testapp.*,tests.bank.*")
    for option in ("files", "exclude"):
        parser.remove_option("mypy", option)
    parser.set("mypy", "cache_dir", str(tmp / "cache"))
    path = tmp / "mypy.ini"
    with path.open("w") as file:
        parser.write(file)
    return path


def _run(config: Path, *files: str) -> list[dict[str, str]]:
    stdout, stderr, _ = api.run(["--config-file", str(config), "--no-pretty", *files])
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    return [m.groupdict() for m in map(LINE.match, stdout.splitlines()) if m]


@pytest.fixture(scope="module")
def errors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, str]]]:
    config = _config(tmp_path_factory.mktemp("mypy"))
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        # The models first: the second run reads them from mypy's cache, where only
        # what the plugin stored in their metadata says which fields are guarded.
        _run(config, *MODELS)
        yield _run(config, str(CASES.relative_to(ROOT)), *MODELS)
    finally:
        os.chdir(previous)


def _expected() -> set[tuple[int, str]]:
    found = set()
    for number, text in enumerate(CASES.read_text().splitlines(), start=1):
        match = EXPECTED.search(text)
        if match:
            found.add((number, match["code"]))
    return found


def test_exactly_the_marked_lines_are_errors(errors: list[dict[str, str]]) -> None:
    reported = {(int(e["line"]), e["code"]) for e in errors if Path(e["path"]).name == CASES.name}
    assert reported == _expected()
    assert len(_expected()) == 13


def test_no_false_error_in_the_test_project_models(errors: list[dict[str, str]]) -> None:
    assert [e for e in errors if e["code"] == "guarded-field" and "cases" not in e["path"]] == []


def test_the_message_names_the_way_out(errors: list[dict[str, str]]) -> None:
    messages = {int(e["line"]): e["message"] for e in errors if e["path"].endswith(CASES.name)}
    lines = CASES.read_text().splitlines()
    status = next(n for n, text in enumerate(lines, 1) if 'account.status = "expired"' in text)
    signup_date = next(n for n, text in enumerate(lines, 1) if "account.signup_date = " in text)
    assert messages[status] == (
        "Account.status is guarded: change it through a transition: Account.signup() or "
        'Account.expire() (test setup may assign it inside "with django_guarded.unguarded():")'
    )
    documented = (ROOT / "docs" / "typing.md").read_text()
    assert f"error: {messages[status]}  [guarded-field]" in documented
    # Of the model's methods, those whose bodies assign it (not expire() or rename()).
    assert messages[signup_date] == (
        "Account.signup_date is guarded: change it inside one of the model's own methods: "
        "Account.signup() or Account.stamp() "
        '(test setup may assign it inside "with django_guarded.unguarded():")'
    )


def _message_at(errors: list[dict[str, str]], snippet: str) -> str:
    lines = CASES.read_text().splitlines()
    number = next(n for n, text in enumerate(lines, 1) if snippet in text)
    return next(
        e["message"] for e in errors if e["path"].endswith(CASES.name) and int(e["line"]) == number
    )


def test_methods_that_assign_the_field_through_a_helper_are_named(
    errors: list[dict[str, str]],
) -> None:
    # deposit() and withdraw() call self._add(), which assigns the balance; the
    # transitions freeze(), unfreeze() and close() do not.
    assert _message_at(errors, "bank.balance = ").startswith(
        "Account.balance is guarded: change it inside one of the model's own methods: "
        "Account.deposit() or Account.withdraw() ("
    )


@pytest.mark.parametrize(
    ("snippet", "model", "field", "value"),
    [
        ("account.signup_date = ", "tests.testapp.models.Account", "signup_date", "2020-01-01"),
        ("bank.balance = ", "tests.bank.models.Account", "balance", 5),
    ],
)
def test_the_way_out_is_the_run_time_message_s(
    errors: list[dict[str, str]], snippet: str, model: str, field: str, value: Any
) -> None:
    from django.utils.module_loading import import_string

    from django_guarded import GuardedFieldError

    instance = import_string(model)()
    with pytest.raises(GuardedFieldError) as caught:
        setattr(instance, field, value)
    static = _message_at(errors, snippet).split(" (test setup may")[0]
    assert str(caught.value).startswith(static + ". For test setup")


def test_the_plugin_loads_no_django() -> None:
    """mypy imports the plugin in its own process: it must not pull Django in."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import mypy.build\n"  # mypy's modules import each other in this order
        "import django_guarded.mypy_plugin\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
