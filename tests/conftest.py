"""Test-suite wide hooks: database selection for tests that need a server.

``DATABASE_URL`` picks the database (see ``tests/settings.py``). Tests marked
``postgres``, ``mysql`` or ``server_db`` are skipped, with the way to run them,
when the configured database is not one they need. They are skipped, never
deselected, so ``-ra`` lists each of them; the run's database is named in the
report header and again in the last line of the summary.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

#: marker -> (vendors it runs on, what to say when it cannot run here)
DATABASE_MARKERS: dict[str, tuple[frozenset[str], str]] = {
    "postgres": (
        frozenset({"postgresql"}),
        "needs PostgreSQL: set DATABASE_URL=postgres://...",
    ),
    "mysql": (
        frozenset({"mysql"}),
        "needs MariaDB or MySQL: set DATABASE_URL=mysql://...",
    ),
    "server_db": (
        frozenset({"postgresql", "mysql"}),
        "needs PostgreSQL or MariaDB: set DATABASE_URL=postgres://... or mysql://...",
    ),
}

_VENDOR_SKIPS = pytest.StashKey[dict[str, str]]()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


def database_vendor() -> str:
    """The vendor of the default database: ``sqlite``, ``postgresql`` or ``mysql``."""
    from django.db import connection

    return connection.vendor


def _describe_database() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        where = "in memory" if name == ":memory:" or not name else name
    else:
        port = f":{settings['PORT']}" if settings.get("PORT") else ""
        where = f"database {settings['NAME']} on {settings.get('HOST') or 'localhost'}{port}"
    source = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "DATABASE_URL unset"
    return f"{connection.vendor}, {where} ({source})"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {_describe_database()}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = database_vendor()
    skipped: dict[str, str] = {}
    for item in items:
        for marker_name, (vendors, reason) in DATABASE_MARKERS.items():
            if item.get_closest_marker(marker_name) is None or vendor in vendors:
                continue
            why = f"{reason} (CI runs it in its run on that database)" if _in_ci() else reason
            item.add_marker(pytest.mark.skip(reason=why))
            skipped[item.nodeid] = marker_name
            break
    config.stash[_VENDOR_SKIPS] = skipped


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    skipped_here = config.stash.get(_VENDOR_SKIPS, {})
    skipped_ids = {report.nodeid for report in terminalreporter.stats.get("skipped", [])}
    counts: dict[str, int] = {}
    for nodeid, marker_name in skipped_here.items():
        if nodeid in skipped_ids:
            counts[marker_name] = counts.get(marker_name, 0) + 1
    if counts:
        detail = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
        others = f"; skipped for want of another database: {detail}"
    else:
        others = "; no test was skipped for want of another database"
    terminalreporter.write_line(f"database used: {database_vendor()}{others}")
