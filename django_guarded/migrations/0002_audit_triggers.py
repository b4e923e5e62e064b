"""Database triggers that keep the audit table append-only, whatever SQL is sent.

``UPDATE`` is rejected always; ``DELETE`` (and ``TRUNCATE`` on PostgreSQL) unless
the connection runs inside ``django_guarded.allow_audit_purge()`` (see
``django_guarded/_triggers.py`` for that switch). MariaDB/MySQL never fire triggers
for ``TRUNCATE``: deny the application's database user the ``DROP`` privilege on
the table to stop it there.

On SQLite, a migration that alters ``AuditRecord`` rebuilds the table and drops
its triggers with it: such a migration must run ``INSTALL["sqlite"]`` again.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "django_guarded_auditrecord"
MESSAGE = "django_guarded_auditrecord is append-only"

INSTALL: dict[str, list[str]] = {
    "postgresql": [
        f"""
        CREATE OR REPLACE FUNCTION django_guarded_audit_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE'
               AND current_setting('django_guarded.purge', true) = 'on' THEN
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{MESSAGE}: % is not allowed', TG_OP
                USING ERRCODE = 'integrity_constraint_violation',
                      HINT = 'Audit records are never changed; record a correction instead.';
        END;
        $$
        """,
        f"""
        CREATE TRIGGER django_guarded_audit_no_update_delete
        BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION django_guarded_audit_append_only()
        """,
        f"""
        CREATE TRIGGER django_guarded_audit_no_truncate
        BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION django_guarded_audit_append_only()
        """,
    ],
    "mysql": [
        f"""
        CREATE TRIGGER django_guarded_audit_no_update
        BEFORE UPDATE ON {TABLE} FOR EACH ROW
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{MESSAGE}: UPDATE is not allowed'
        """,
        f"""
        CREATE TRIGGER django_guarded_audit_no_delete
        BEFORE DELETE ON {TABLE} FOR EACH ROW
        BEGIN
            IF COALESCE(@django_guarded_purge, 0) <> 1 THEN
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{MESSAGE}: DELETE is not allowed';
            END IF;
        END
        """,
    ],
    "sqlite": [
        f"""
        CREATE TRIGGER django_guarded_audit_no_update
        BEFORE UPDATE ON {TABLE}
        BEGIN
            SELECT RAISE(ABORT, '{MESSAGE}: UPDATE is not allowed');
        END
        """,
        f"""
        CREATE TRIGGER django_guarded_audit_no_delete
        BEFORE DELETE ON {TABLE}
        WHEN django_guarded_purging() = 0
        BEGIN
            SELECT RAISE(ABORT, '{MESSAGE}: DELETE is not allowed');
        END
        """,
    ],
}

UNINSTALL: dict[str, list[str]] = {
    "postgresql": [
        f"DROP TRIGGER IF EXISTS django_guarded_audit_no_truncate ON {TABLE}",
        f"DROP TRIGGER IF EXISTS django_guarded_audit_no_update_delete ON {TABLE}",
        "DROP FUNCTION IF EXISTS django_guarded_audit_append_only()",
    ],
    "mysql": [
        "DROP TRIGGER IF EXISTS django_guarded_audit_no_delete",
        "DROP TRIGGER IF EXISTS django_guarded_audit_no_update",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS django_guarded_audit_no_delete",
        "DROP TRIGGER IF EXISTS django_guarded_audit_no_update",
    ],
}


def _run(statements: dict[str, list[str]], schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        # Another backend: the ORM still refuses to change records, but raw SQL can.
        return
    for statement in statements[vendor]:
        schema_editor.execute(statement, params=None)


def install(apps: Any, schema_editor: Any) -> None:
    _run(INSTALL, schema_editor)


def uninstall(apps: Any, schema_editor: Any) -> None:
    _run(UNINSTALL, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("django_guarded", "0001_initial")]

    # Not atomic on its own: MariaDB/MySQL cannot run DDL inside a transaction.
    operations = [migrations.RunPython(install, uninstall, atomic=False, elidable=False)]
