"""Raw SQL cannot rewrite the audit trail: the database's own triggers refuse it."""

from __future__ import annotations

import importlib
import os
import sqlite3

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from django_guarded import AppendOnlyError, allow_audit_purge, unguarded
from django_guarded.models import AuditRecord
from tests.testapp.models import Pickup

TABLE = connection.ops.quote_name("django_guarded_auditrecord")


def write_records(count: int = 2) -> None:
    for _ in range(count):
        with unguarded():
            pickup = Pickup.objects.create()
        pickup.assign("bob")


def raw(sql: str, params: list[object] | None = None) -> None:
    # A savepoint, so that PostgreSQL's aborted statement does not end the test's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET target = 'dropped_off'",
        f"UPDATE {TABLE} SET data = '{{}}', created_at = created_at",
        f"DELETE FROM {TABLE}",
        f"DELETE FROM {TABLE} WHERE method = 'assign'",
    ],
    ids=["update-target", "update-other-columns", "delete-all", "delete-some"],
)
def test_raw_update_and_delete_are_rejected(sql: str) -> None:
    write_records()
    with pytest.raises(DatabaseError, match="append-only"):
        raw(sql)
    assert list(AuditRecord.objects.values_list("target", flat=True)) == ["waiting", "waiting"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_truncate_is_rejected_on_postgresql() -> None:
    write_records()
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE is not allowed"):
        raw(f"TRUNCATE {TABLE}")
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"TRUNCATE {TABLE} CASCADE")
    assert AuditRecord.objects.count() == 2


@pytest.mark.django_db
def test_purge_lets_delete_through_but_never_update() -> None:
    write_records()
    with allow_audit_purge():
        with pytest.raises(DatabaseError, match="append-only"):
            raw(f"UPDATE {TABLE} SET target = 'x'")
        with pytest.raises(AppendOnlyError):
            AuditRecord.objects.all().delete()  # the ORM refuses still
        raw(f"DELETE FROM {TABLE} WHERE id = {AuditRecord.objects.order_by('id').first().pk}")  # type: ignore[union-attr]
    assert AuditRecord.objects.count() == 1
    # The permission ended with the block.
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"DELETE FROM {TABLE}")


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail() -> None:
    # TransactionTestCase (and pytest-django's transactional tests) flush the
    # database after each test: that must keep working with the triggers.
    write_records()
    call_command("flush", interactive=False, verbosity=0)
    assert AuditRecord.objects.count() == 0
    write_records(1)
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"DELETE FROM {TABLE}")


@pytest.mark.django_db
def test_inserting_raw_records_is_still_possible() -> None:
    # Append-only means append: the triggers leave INSERT alone.
    write_records(1)
    columns = (
        "created_at, model, object_pk, kind, method, field, actor, actor_model, actor_pk, data"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) "
            "SELECT created_at, model, object_pk, kind, method, field, actor, actor_model, "
            f"actor_pk, data FROM {TABLE}"
        )
    assert AuditRecord.objects.count() == 2


def test_sqlite_triggers_reject_outside_django_too() -> None:
    # Another program opening the SQLite file has no django_guarded_purging()
    # function: the DELETE trigger cannot run, so the DELETE fails.
    migration = importlib.import_module("django_guarded.migrations.0002_audit_triggers")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE django_guarded_auditrecord (id INTEGER PRIMARY KEY, target TEXT)")
    for statement in migration.INSTALL["sqlite"]:
        db.execute(statement)
    db.execute("INSERT INTO django_guarded_auditrecord (target) VALUES ('waiting')")
    with pytest.raises(sqlite3.OperationalError, match="no such function"):
        db.execute("DELETE FROM django_guarded_auditrecord")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE django_guarded_auditrecord SET target = 'x'")
    assert db.execute("SELECT target FROM django_guarded_auditrecord").fetchall() == [("waiting",)]


def _existing_record_values() -> tuple[str, list[object]]:
    """The columns and values of the stored record with the lowest id, for raw SQL."""
    record = AuditRecord.objects.order_by("id").first()
    assert record is not None
    fields = [f for f in AuditRecord._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    return columns, values


def _upserts() -> list[str]:
    columns, values = _existing_record_values()
    marks = ", ".join(["%s"] * len(values))
    if connection.vendor == "sqlite":
        return [
            f"INSERT OR REPLACE INTO {TABLE} ({columns}) VALUES ({marks})",
            f"REPLACE INTO {TABLE} ({columns}) VALUES ({marks})",
            f"INSERT INTO {TABLE} ({columns}) VALUES ({marks}) "
            "ON CONFLICT (id) DO UPDATE SET target = 'rewritten'",
        ]
    if connection.vendor == "mysql":
        return [
            f"REPLACE INTO {TABLE} ({columns}) VALUES ({marks})",
            f"INSERT INTO {TABLE} ({columns}) VALUES ({marks}) "
            "ON DUPLICATE KEY UPDATE target = 'rewritten'",
        ]
    return [
        f"INSERT INTO {TABLE} ({columns}) VALUES ({marks}) "
        "ON CONFLICT (id) DO UPDATE SET target = 'rewritten'"
    ]


@pytest.mark.django_db
def test_replace_and_upsert_cannot_rewrite_a_record() -> None:
    write_records(1)
    _, values = _existing_record_values()
    values[_column_index("target")] = "rewritten"
    for sql in _upserts():
        with pytest.raises(DatabaseError, match="append-only"):
            raw(sql, values)
    assert list(AuditRecord.objects.values_list("target", flat=True)) == ["waiting"]


def _column_index(name: str) -> int:
    return [f.name for f in AuditRecord._meta.concrete_fields].index(name)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_role_that_does_not_own_the_trail_cannot_purge_it_on_postgresql() -> None:
    write_records()
    role = f"django_guarded_app_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        try:
            cursor.execute(f"GRANT SELECT, DELETE, TRUNCATE ON {TABLE} TO {role}")
            cursor.execute(f"SET ROLE {role}")
            try:
                cursor.execute("SELECT set_config('django_guarded.purge', 'on', false)")
                with pytest.raises(DatabaseError, match="Only the owner"):
                    raw(f"DELETE FROM {TABLE}")
                with pytest.raises(DatabaseError, match="TRUNCATE is not allowed"):
                    raw(f"TRUNCATE {TABLE}")
            finally:
                cursor.execute("RESET ROLE")
                cursor.execute("SELECT set_config('django_guarded.purge', 'off', false)")
        finally:
            cursor.execute(f"REVOKE ALL ON {TABLE} FROM {role}")
            cursor.execute(f"DROP ROLE {role}")
    assert AuditRecord.objects.count() == 2


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_an_account_that_did_not_install_the_triggers_cannot_purge_on_mariadb() -> None:
    import MySQLdb

    write_records()
    settings = connection.settings_dict
    user, password = f"guarded_app_{os.getpid()}", "app-password"
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{password}'")
        try:
            cursor.execute(f"GRANT SELECT, DELETE ON `{database}`.{TABLE} TO '{user}'@'%%'")
            other = MySQLdb.connect(
                host=settings["HOST"] or "127.0.0.1",
                port=int(settings["PORT"] or 3306),
                user=user,
                password=password,
                database=database,
            )
            try:
                cursor_ = other.cursor()
                cursor_.execute("SET @django_guarded_purge = 1")
                with pytest.raises(MySQLdb.OperationalError, match="DELETE is not allowed"):
                    cursor_.execute(f"DELETE FROM {TABLE}")
            finally:
                other.close()
        finally:
            cursor.execute(f"DROP USER '{user}'@'%%'")
    assert AuditRecord.objects.count() == 2
    # The account that ran the migrations still can, inside allow_audit_purge().
    with allow_audit_purge(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    assert AuditRecord.objects.count() == 0
