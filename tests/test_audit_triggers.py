"""Raw SQL cannot rewrite the audit trail: the database's own triggers refuse it."""

from __future__ import annotations

import importlib
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


def raw(sql: str) -> None:
    # A savepoint, so that PostgreSQL's aborted statement does not end the test's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


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
