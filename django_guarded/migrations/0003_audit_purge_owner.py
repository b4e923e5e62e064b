"""Purging the audit table needs its owner, and SQLite's REPLACE cannot rewrite a record.

Migration ``0002`` let ``DELETE`` (and ``TRUNCATE``) of audit records through when the
connection had set the purge switch, which any role allowed to ``DELETE`` could set.
From here on the switch counts only for the database account that owns the trail:

- PostgreSQL: a member of the role that owns ``django_guarded_auditrecord`` (its
  owner, a role granted the owner role, or a superuser);
- MariaDB/MySQL: the account that installed the triggers (their ``DEFINER``, which is
  who ran the migrations), compared by user name with the connected ``USER()``;
- SQLite: no accounts exist; anyone who can write the file can also drop triggers.

On SQLite, ``INSERT OR REPLACE`` (``REPLACE INTO``) of an existing record deletes it
without firing delete triggers: a trigger now rejects an ``INSERT`` whose ``id``
exists. MariaDB fires delete triggers for ``REPLACE``, and every other upsert form
fires update triggers, which reject it already.

Two kinds of record are new: ``creation``, the record of a manager operation that
created the object it returns, with the state it was created in; and ``deletion``, the
record of a guarded object deleted by its own methods.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

TABLE = "django_guarded_auditrecord"
MESSAGE = "django_guarded_auditrecord is append-only"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION django_guarded_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE'
       AND current_setting('django_guarded.purge', true) = 'on'
       {owner_check}THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{message}: % is not allowed', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = {hint};
END;
$$
"""
_PG_OWNER_CHECK = """AND pg_has_role(
           current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
       )
       """
_PG_HINT = (
    "'Audit records are never changed; record a correction instead. Only the owner of '"
    " || TG_TABLE_NAME || ' may purge it, inside django_guarded.allow_audit_purge().'"
)
_PG_OLD_HINT = "'Audit records are never changed; record a correction instead.'"

_MYSQL_DELETE = """
CREATE TRIGGER django_guarded_audit_no_delete
BEFORE DELETE ON {table} FOR EACH ROW
BEGIN
    IF COALESCE(@django_guarded_purge, 0) <> 1{owner_check} THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{message}: DELETE is not allowed';
    END IF;
END
"""
# Inside a trigger CURRENT_USER() is the trigger's DEFINER; USER() is who connected.
_MYSQL_OWNER_CHECK = (
    "\n       OR SUBSTRING_INDEX(USER(), '@', 1) <> SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"
)

_SQLITE_NO_REPLACE = f"""
CREATE TRIGGER django_guarded_audit_no_replace
BEFORE INSERT ON {TABLE}
WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}: INSERT OR REPLACE of an existing record is not allowed');
END
"""

FORWARD: dict[str, list[str]] = {
    "postgresql": [
        _PG_FUNCTION.format(owner_check=_PG_OWNER_CHECK, message=MESSAGE, hint=_PG_HINT),
    ],
    "mysql": [
        "DROP TRIGGER IF EXISTS django_guarded_audit_no_delete",
        _MYSQL_DELETE.format(table=TABLE, owner_check=_MYSQL_OWNER_CHECK, message=MESSAGE),
    ],
    "sqlite": [_SQLITE_NO_REPLACE],
}

BACKWARD: dict[str, list[str]] = {
    "postgresql": [_PG_FUNCTION.format(owner_check="", message=MESSAGE, hint=_PG_OLD_HINT)],
    "mysql": [
        "DROP TRIGGER IF EXISTS django_guarded_audit_no_delete",
        _MYSQL_DELETE.format(table=TABLE, owner_check="", message=MESSAGE),
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS django_guarded_audit_no_replace"],
}


def _run(statements: dict[str, list[str]], schema_editor: Any) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps: Any, schema_editor: Any) -> None:
    _run(FORWARD, schema_editor)


def backward(apps: Any, schema_editor: Any) -> None:
    _run(BACKWARD, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("django_guarded", "0002_audit_triggers")]

    # Not atomic: MariaDB/MySQL cannot run DDL inside a transaction.
    atomic = False

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="kind",
            field=models.CharField(
                choices=[
                    ("transition", "transition"),
                    ("operation", "operation"),
                    ("bulk_transition", "bulk transition"),
                    ("creation", "creation"),
                    ("deletion", "deletion"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
