"""Every chore of django-guarded has a session here: ``python3 -m nox -l`` lists them.

``python3 -m nox`` alone runs the checks a change must pass: ``tests`` (newest
Python, newest Django), ``lint``, ``mypy`` and ``docs``. The full support matrix
is ``python3 -m nox -s tests_matrix``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"  # first release that understands "uv|virtualenv"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint", "mypy", "docs"]
if hasattr(nox.options, "download_python"):
    # Use the interpreters this machine has; never fetch one behind the user's back.
    nox.options.download_python = "never"

ROOT = Path(__file__).resolve().parent

#: Supported Pythons, oldest first.
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
#: Supported Django feature releases, oldest first, with the oldest Python each runs on.
DJANGOS = {"5.2": "3.10", "6.0": "3.12", "6.1": "3.12"}

#: Third-party projects that ``bench/bench_checker.py`` runs the flake8 checker over.
BENCH_PROJECTS = ["wagtail"]

TEST_REQUIREMENTS = [
    "pytest",
    "pytest-django",
    "hypothesis",
    "pytest-playwright",
    "tomli; python_version < '3.11'",
]
BENCH_REQUIREMENTS = ["flake8", "pyflakes"]
#: The driver each ``DATABASE_URL`` scheme needs; SQLite's comes with Python.
DRIVERS = {
    "postgres": "psycopg[binary]",
    "postgresql": "psycopg[binary]",
    "mysql": "mysqlclient",
    "mariadb": "mysqlclient",
}
#: What building the site needs; the documentation host installs the same file.
DOCS_REQUIREMENTS = ["-r", "docs/requirements.txt"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _real_executable(candidate: str, version: str) -> str | None:
    """The interpreter ``candidate`` runs if it is Python ``version``, else ``None``.

    Asking the interpreter itself sees through pyenv shims and virtualenvs.
    """
    try:
        result = subprocess.run(
            [
                candidate,
                "-c",
                "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.split("\n")
    if result.returncode != 0 or lines[0] != version or not lines[1]:
        return None
    return os.path.realpath(lines[1])


def _find_pythons() -> dict[str, str]:
    """Map each version of ``PYTHONS`` installed here to a working interpreter.

    ``pythonX.Y`` on ``PATH`` comes first. A pyenv shim answers to every name but
    only runs the versions that are activated, so the interpreters pyenv has
    installed are looked up directly as well.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = {}
    for version in PYTHONS:
        candidates = [shutil.which(f"python{version}")]
        candidates += sorted(
            glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / f"python{version}")),
            key=lambda path: _version_key(Path(path).parents[1].name.split("-")[0]),
            reverse=True,
        )
        if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
            candidates.append(sys.executable)
        for candidate in candidates:
            executable = candidate and _real_executable(candidate, version)
            if executable:
                found[version] = executable
                break
    return found


def _expose_pythons(pythons: dict[str, str]) -> None:
    """Put ``pythonX.Y`` links to the found interpreters first on ``PATH``.

    nox, virtualenv and uv then all find the same interpreters by name, whatever
    this machine's ``PATH`` holds.
    """
    link_dir = ROOT / ".nox" / ".pythons"
    link_dir.mkdir(parents=True, exist_ok=True)
    for version in PYTHONS:
        link = link_dir / f"python{version}"
        executable = pythons.get(version)
        if link.is_symlink() and executable and os.readlink(link) == executable:
            continue
        link.unlink(missing_ok=True)
        if executable:
            link.symlink_to(executable)
    os.environ["PATH"] = os.pathsep.join([str(link_dir), os.environ.get("PATH", "")])


def _only_lists() -> bool:
    """Whether this run of nox only lists the sessions (``nox -l``): it runs no Python."""
    return any(arg in ("-l", "--list", "--list-sessions") for arg in sys.argv[1:])


INSTALLED_PYTHONS = _find_pythons()
# Sessions name their Python by version (and ``-P 3.10`` does too): nox resolves those
# names before any session code runs, so the links must be in place when this file
# is read. Listing the sessions needs no interpreter, and writes nothing.
if not _only_lists():
    _expose_pythons(INSTALLED_PYTHONS)
NEWEST_PYTHON = (
    max(INSTALLED_PYTHONS, key=_version_key)
    if INSTALLED_PYTHONS
    else f"{sys.version_info[0]}.{sys.version_info[1]}"
)


def _django_runs_on(django: str, python: str) -> bool:
    return _version_key(python) >= _version_key(DJANGOS[django])


def _django_requirement(django: str) -> str:
    return f"Django~={django}.0"


def _mysql_client_library_found() -> bool:
    """Whether mysqlclient's build will find the client library it compiles against:
    through pkg-config, or the flags given in its own environment variables."""
    if os.environ.get("MYSQLCLIENT_CFLAGS") and os.environ.get("MYSQLCLIENT_LDFLAGS"):
        return True
    if shutil.which("pkg-config") is None:
        return False
    return any(
        subprocess.run(["pkg-config", "--exists", name], check=False).returncode == 0
        for name in ("mysqlclient", "mariadb", "libmariadb")
    )


def _driver(session: nox.Session) -> list[str]:
    """The database driver ``DATABASE_URL`` needs, if any, as a requirement list.

    mysqlclient compiles against the MariaDB client library: without it the
    install would fail deep in a build log, so say what to install instead.
    """
    scheme = os.environ.get("DATABASE_URL", "").partition(":")[0]
    driver = DRIVERS.get(scheme)
    if driver == "mysqlclient" and not _mysql_client_library_found():
        session.error(
            "DATABASE_URL names MariaDB/MySQL, whose driver mysqlclient compiles against the "
            "client library: install it and pkg-config first (Debian/Ubuntu: "
            "apt-get install libmariadb-dev pkg-config)"
        )
    return [driver] if driver else []


def _run_tests(session: nox.Session, django: str) -> None:
    session.install(
        "-e",
        ".[guardian,flake8]",
        _django_requirement(django),
        *TEST_REQUIREMENTS,
        *_driver(session),
    )
    # DATABASE_URL reaches pytest unchanged: sessions inherit the environment.
    session.run("pytest", *session.posargs)


@nox.session(python=NEWEST_PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite on the newest installed Python and the newest Django it supports.

    Another Python: ``-P 3.10``; another Django: ``DJANGO=5.2``; arguments after
    ``--`` go to pytest. ``DATABASE_URL`` picks the database (default: SQLite in
    memory; ``postgres://...`` or ``mysql://...``).
    """
    python = str(session.python)
    requested = os.environ.get("DJANGO", "").strip()
    if requested:
        if requested not in DJANGOS:
            session.error(f"DJANGO={requested} is not supported: use one of {', '.join(DJANGOS)}")
        if not _django_runs_on(requested, python):
            session.error(
                f"Django {requested} needs Python >= {DJANGOS[requested]}, "
                f"this session runs Python {python}: pick another -P or DJANGO"
            )
        django = requested
    else:
        django = max(
            (release for release in DJANGOS if _django_runs_on(release, python)),
            key=_version_key,
        )
    session.log(f"Python {python}, Django {django}")
    _run_tests(session, django)


TESTS_MATRIX = [
    nox.param(
        # ``False`` runs the session without a virtualenv: it only explains the skip.
        python if python in INSTALLED_PYTHONS and _django_runs_on(django, python) else False,
        python,
        django,
        id=f"{python}-django{django}",
    )
    for python in PYTHONS
    for django in DJANGOS
]


@nox.session
@nox.parametrize(("python", "python_version", "django"), TESTS_MATRIX)
def tests_matrix(session: nox.Session, python_version: str, django: str) -> None:
    """Run the test suite on one Python x Django pair of the support table.

    Pairs that do not exist (Django 6.x on Python < 3.12) and Pythons not installed
    here are skipped with the reason. Select one with ``-s "tests_matrix(3.10-django5.2)"``.
    """
    if not _django_runs_on(django, python_version):
        session.skip(f"Django {django} needs Python >= {DJANGOS[django]}")
    if python_version not in INSTALLED_PYTHONS:
        session.skip(f"Python {python_version} is not installed")
    _run_tests(session, django)


@nox.session(python=NEWEST_PYTHON)
def lint(session: nox.Session) -> None:
    """Check the code with ruff (lint rules and formatting: ``ruff format`` fixes the latter)
    and the import contracts of pyproject.toml with import-linter."""
    session.install("ruff~=0.17.0", "import-linter~=2.17", "-e", ".")
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")
    # The layers of the runtime, and the checker's independence (pyproject.toml).
    session.run("lint-imports")


@nox.session(python=NEWEST_PYTHON)
def mypy(session: nox.Session) -> None:
    """Type-check the package with mypy --strict and django-stubs (configured in pyproject.toml)."""
    session.install("-e", ".[guardian,flake8]", "mypy", "django-stubs", "pytest", "pytest-django")
    session.run("mypy", *session.posargs)
    # The public API's types, and the mypy plugin run on a small project.
    session.run("mypy", "--config-file", "tests/typing/mypy.ini")
    session.run("pytest", "tests/typing")


@nox.session(python=NEWEST_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation with mkdocs --strict into site/ (``-- serve`` to preview it),
    then check the built pages (tests/docs/site_check.py)."""
    session.install(*DOCS_REQUIREMENTS, "pytest")
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # mkdocs-material's end-of-life banner
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
        return
    session.run("mkdocs", "build", "--strict", *session.posargs)
    # Without Django here, the suite's conftest.py (which reads the database) stays out.
    env = {} if session.posargs else {"DOCS_SITE": str(ROOT / "site")}
    quiet = ["-W", "ignore::pytest.PytestConfigWarning"]  # pytest-django's ini options
    session.run(
        "pytest",
        "--noconftest",
        "-p",
        "no:cacheprovider",
        *quiet,
        "tests/docs/site_check.py",
        env=env,
    )


@nox.session(python=NEWEST_PYTHON)
def bench(session: nox.Session) -> None:
    """Run every bench/bench_*.py script in turn (``-- NAME`` runs those whose name holds NAME).

    ``DATABASE_URL`` picks the database, as for the tests.
    """
    session.install(
        "-e", ".[guardian,flake8]", *BENCH_REQUIREMENTS, *BENCH_PROJECTS, *_driver(session)
    )
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python=NEWEST_PYTHON)
def demo(session: nox.Session) -> None:
    """Start the demo project on http://127.0.0.1:8000/ (stop it with Ctrl+C)."""
    if not (ROOT / "demo" / "__main__.py").exists():
        session.error("There is no demo/ project in this checkout yet (no demo/__main__.py)")
    session.install("-e", ".[guardian]")
    session.run("python", "-m", "demo", *session.posargs)
