"""The switch that lets a purge through the audit table's triggers.

Migration ``0002_audit_triggers`` installs triggers that reject ``UPDATE`` and
``DELETE`` of ``django_guarded_auditrecord`` (and ``TRUNCATE`` on PostgreSQL).
``UPDATE`` is always rejected. ``DELETE`` and ``TRUNCATE`` pass only while this
connection has said it is purging, which only `allow_audit_purge()` does (the
``flush`` command and a test database's teardown use it). The names below are
part of the triggers' contract and must match the migration:

- PostgreSQL: the session setting ``django_guarded.purge = 'on'``;
- MariaDB/MySQL: the session variable ``@django_guarded_purge = 1``;
- SQLite: the SQL function ``django_guarded_purging()``, which django-guarded
  registers on each connection; outside Django the function does not exist, so
  the triggers reject the statement as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

__all__ = ["allow_audit_purge", "connect"]

SQLITE_FUNCTION = "django_guarded_purging"
_FLAG = "_django_guarded_purging"


def _register_sqlite_function(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "sqlite" or connection.connection is None:
        return

    def purging() -> int:
        return 1 if getattr(connection, _FLAG, False) else 0

    connection.connection.create_function(SQLITE_FUNCTION, 0, purging)


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    _register_sqlite_function(connection)


def connect() -> None:
    """Register the SQLite function on every connection, present and future (called by
    the app's ``ready()``)."""
    connection_created.connect(_on_connection_created, dispatch_uid="django_guarded.triggers")
    for connection in connections.all(initialized_only=True):
        _register_sqlite_function(connection)


def _set_flag(connection: BaseDatabaseWrapper, on: bool) -> None:
    setattr(connection, _FLAG, on)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        _register_sqlite_function(connection)
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('django_guarded.purge', %s, false)", ["on" if on else "off"]
            )
        elif connection.vendor == "mysql":
            cursor.execute("SET @django_guarded_purge = %s", [1 if on else None])


@contextmanager
def allow_audit_purge(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let ``DELETE`` (and ``TRUNCATE``) of audit records through the triggers in the block.

    Meant for wiping a whole database (``manage.py flush``, test teardown) or for a
    retention job run by an operator. Only raw SQL benefits: the ORM's
    ``AuditRecord.objects.delete()`` still raises, and ``UPDATE`` stays rejected.
    The permission belongs to this one connection and ends with the block.
    """
    connection = connections[using]
    _set_flag(connection, True)
    try:
        yield
    finally:
        _set_flag(connection, False)
