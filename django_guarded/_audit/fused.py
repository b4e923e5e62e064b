"""The record of a model method written by the statement that updates its object.

On PostgreSQL the ``UPDATE`` that saves a call's changes runs inside a ``WITH``
clause and the record is inserted from the row it returned: one statement, one
round trip less while the row is locked, and a save that updates no row records
nothing by construction. A `FusedRecord` is handed to the running call; the
model's ``_do_update`` writes it with the ``UPDATE`` when it can.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import connections, models
from django.db.models.signals import post_save, pre_save

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from django_guarded._audit.writer import RecordValues

__all__ = ["FusedRecord", "insert_into", "writes_with_update"]


def writes_with_update(connection: BaseDatabaseWrapper) -> bool:
    """Whether a record can be written by the statement that updates its object's row.

    PostgreSQL runs an ``UPDATE`` inside a ``WITH`` clause and inserts what it
    returned, in one statement (one round trip less while the row is locked).
    MySQL, MariaDB and SQLite have no data-modifying ``WITH``: there the record is
    a statement of its own, and so it is anywhere when something listens to the
    record's ``pre_save`` or ``post_save`` signal, which only ``save()`` sends.
    """
    if connection.vendor != "postgresql":
        return False
    from django_guarded._audit.record import AuditRecord

    return not (pre_save.has_listeners(AuditRecord) or post_save.has_listeners(AuditRecord))


def insert_into(connection: BaseDatabaseWrapper) -> tuple[str, list[models.Field[Any, Any]]]:
    """``INSERT INTO <audit table> (<columns>)`` for ``connection``, and the fields of
    those columns in order: every field of a record but its ``id``."""
    from django_guarded._audit.record import AuditRecord

    quote = connection.ops.quote_name
    fields = [f for f in AuditRecord._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    return f"INSERT INTO {quote(AuditRecord._meta.db_table)} ({columns})", fields


_INSERTS: dict[type[BaseDatabaseWrapper], tuple[str, tuple[tuple[str, Any], ...]]] = {}


def _insert_from_updated(
    connection: BaseDatabaseWrapper,
) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The ``INSERT ... SELECT`` of a record from the updated rows, and for each of its
    parameters in order, the field's name and its field if the value needs preparing
    for the database (text does not); built once per database backend."""
    found = _INSERTS.get(type(connection))
    if found is None:
        insert, fields = insert_into(connection)
        # Each value cast to its column's type: the statement is right whether the
        # driver binds parameters on the client or on the server.
        select = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
        sql = f"{insert} SELECT {select} FROM django_guarded_updated"
        params = tuple((f.name, None if isinstance(f, models.CharField) else f) for f in fields)
        found = _INSERTS[type(connection)] = (sql, params)
    return found


class FusedRecord:
    """An audit record that waits to be inserted by its object's ``UPDATE``.

    The model's ``_do_update`` calls `write_with_update`; `written` says whether
    the record went in with it (the call then writes it on its own if not).
    """

    __slots__ = ("values", "written")

    def __init__(self, values: RecordValues) -> None:
        self.values = values
        self.written = False

    def write_with_update(
        self,
        queryset: models.QuerySet[Any],
        values: list[tuple[models.Field[Any, Any], Any, Any]],
        using: str,
    ) -> int | None:
        """Run the ``UPDATE`` of ``Model.save()`` and insert the record in the same
        statement.

        ``queryset`` selects the row (Django's ``base_qs.filter(pk=...)``) and
        ``values`` are the ``(field, model, value)`` triples ``save()`` computed. The
        record is inserted once per updated row, so a row that is gone (or, for an
        optimistic save, changed) updates nothing and records nothing. Returns the
        number of rows updated, or ``None`` when the update cannot be written this
        way (it touches more than one table): the caller then runs its own statement.
        """
        from django.db.models.sql import UpdateQuery

        connection = connections[using]
        query = cast("UpdateQuery", queryset.query.chain(UpdateQuery))
        query.add_update_fields(values)
        query.annotations = {}
        if query.get_related_updates():
            return None
        update_sql, update_params = query.get_compiler(using).as_sql()
        if not update_sql:
            return None
        insert_sql, fields = _insert_from_updated(connection)
        entry = self.values
        params = [
            entry[name] if field is None else field.get_db_prep_save(entry[name], connection)
            for name, field in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH django_guarded_updated AS ({update_sql} RETURNING 1) {insert_sql}",
                (*update_params, *params),
            )
            count = int(cursor.rowcount)
        self.written = count > 0
        return count
