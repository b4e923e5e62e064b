"""The audit trail: one record per successful call, written with it, never changed."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_guarded import (
    SYSTEM,
    AppendOnlyError,
    DirectSaveError,
    TransitionNotAllowed,
    operation,
    unguarded,
)
from django_guarded.models import AuditRecord
from tests.bank.errors import InsufficientFunds
from tests.bank.models import Account as BankAccount
from tests.bank.models import Bank, Card
from tests.testapp.models import Account, ForeignInvoice, Invoice, Pickup, Ticket

pytestmark = pytest.mark.django_db

D = decimal.Decimal
FIXED = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)


def fixed_clock() -> datetime.datetime:
    """A clock for ``DJANGO_GUARDED["CLOCK"]`` that always says ``FIXED``."""
    return FIXED


def make_pickup(**fields: Any) -> Pickup:
    with unguarded():
        return Pickup.objects.create(**fields)


def open_account(name: str = "ada", limit: str = "1000.00") -> BankAccount:
    user = get_user_model().objects.create(username=name)
    bank = Bank.objects.filter(name="test").first() or Bank.objects.found("test", cap=D("5000.00"))
    return BankAccount.objects.open(user, bank=bank, limit=D(limit))


def test_transition_writes_one_record_describing_it() -> None:
    user = get_user_model().objects.create(username="driver-desk")
    pickup = make_pickup()
    pickup.assign("bob", by=user)
    [record] = pickup.audit_trail()
    assert record.model == "testapp.pickup"
    assert record.object_pk == str(pickup.pk)
    assert record.kind == "transition"
    assert record.method == "assign"
    assert (record.field, record.source, record.target) == ("state", "request", "waiting")
    assert (record.actor, record.actor_model, record.actor_pk) == (
        "driver-desk",
        "auth.user",
        str(user.pk),
    )
    assert record.data == {}
    assert record.created_at is not None


def test_transition_and_record_are_written_in_one_transaction() -> None:
    pickup = make_pickup()
    with CaptureQueriesContext(connection) as queries:
        pickup.assign("bob")
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].upper().startswith(("UPDATE", "INSERT", "DELETE", "WITH"))
    ]
    if connection.vendor == "postgresql":
        # One statement: the UPDATE in a WITH clause, the record inserted from its rows.
        [statement] = writes
        assert statement.startswith("WITH ")
        assert statement.index('UPDATE "testapp_pickup"') < statement.index(
            'INSERT INTO "django_guarded_auditrecord"'
        )
    else:
        assert [w.split()[0] for w in writes] == ["UPDATE", "INSERT"]
        assert "django_guarded_auditrecord" in writes[1]
    # Inside the test's transaction the call runs in a savepoint around both.
    sqls = [q["sql"].upper() for q in queries.captured_queries]
    assert sqls[0].startswith("SAVEPOINT")
    assert sqls[-1].startswith("RELEASE SAVEPOINT")


def test_object_of_two_tables_gets_one_record() -> None:
    # Multi-table inheritance: the save updates the parent's table and the child's.
    with unguarded():
        invoice = ForeignInvoice.objects.create(title="t", amount=D("5"))
    invoice.convert("USD")
    stored = ForeignInvoice.objects.get(pk=invoice.pk)
    assert (stored.currency, stored.amount) == ("USD", D("10"))
    assert [r.method for r in invoice.audit_trail()] == ["convert"]


def test_update_by_expression_is_recorded_once() -> None:
    # Django 6.1 reads the new value back with RETURNING; 5.2 leaves the expression.
    with unguarded():
        invoice = Invoice.objects.create(title="t", amount=D("5"))

    def add_fee(self: Invoice) -> None:
        self.amount = F("amount") + 1

    operation(add_fee)(invoice)
    assert Invoice.objects.get(pk=invoice.pk).amount == D("6")
    assert [r.method for r in invoice.audit_trail()] == ["add_fee"]


def test_row_deleted_underneath_the_call_leaves_no_record() -> None:
    pickup = make_pickup()
    with unguarded():
        Pickup.objects.filter(pk=pickup.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        pickup.assign("bob")
    assert not AuditRecord.objects.filter(model="testapp.pickup").exists()


def test_receivers_of_the_records_post_save_are_called() -> None:
    # On PostgreSQL the record is written with the UPDATE unless someone listens.
    pickup = make_pickup()
    seen: list[tuple[str, bool]] = []

    def receiver(sender: Any, instance: AuditRecord, created: bool, **kwargs: Any) -> None:
        seen.append((instance.method, created))

    post_save.connect(receiver, sender=AuditRecord)
    try:
        pickup.assign("bob")
    finally:
        post_save.disconnect(receiver, sender=AuditRecord)
    assert seen == [("assign", True)]
    assert [r.method for r in pickup.audit_trail()] == ["assign"]


def test_operation_records_its_declared_data() -> None:
    account = open_account()
    account.deposit(D("25.50"), comment="salary")
    record = account.audit_trail().last()
    assert record is not None
    assert (record.kind, record.method, record.field) == ("operation", "deposit", "")
    assert record.source is record.target is None
    assert record.data == {"delta": "25.50", "comment": "salary"}
    account.withdraw(D("0.50"))
    assert account.audit_trail().last().data == {"delta": "-0.50", "comment": ""}  # type: ignore[union-attr]


def test_manager_operation_records_the_object_it_creates_and_its_first_state() -> None:
    account = open_account()
    [record] = account.audit_trail()
    assert (record.kind, record.method, record.model) == ("creation", "open", "bank.account")
    assert (record.field, record.source, record.target) == ("status", None, "active")


def test_manager_operation_returning_an_existing_object_is_no_creation() -> None:
    ticket = Ticket.objects.file("printer")
    assert Ticket.objects.find("printer") == ticket
    creation, found = ticket.audit_trail()
    assert (creation.kind, creation.field, creation.target) == ("creation", "state", "open")
    assert (found.kind, found.method, found.field, found.target) == ("operation", "find", "", None)


def test_manager_operation_without_an_object_records_an_empty_pk() -> None:
    Account.objects.expire_old_trials()
    methods = list(
        AuditRecord.objects.filter(model="testapp.account").values_list("method", "object_pk")
    )
    # The manager's method and the queryset's method it calls are two operations.
    assert methods == [("expire_old_trials", ""), ("expire_old_trials", "")]


def test_operation_that_moves_a_state_field_records_the_move() -> None:
    pickup = make_pickup()

    def force_waiting(self: Pickup) -> None:
        self.state = Pickup.State.WAITING

    operation(force_waiting)(pickup)
    [record] = pickup.audit_trail()
    assert (record.kind, record.field, record.source, record.target) == (
        "operation",
        "state",
        "request",
        "waiting",
    )


def test_failed_calls_leave_no_record() -> None:
    account = open_account()
    with pytest.raises(InsufficientFunds):
        account.withdraw(D("1.00"))
    pickup = make_pickup()
    with pytest.raises(TransitionNotAllowed):
        pickup.accept()
    assert account.audit_trail().count() == 1  # its opening only
    assert pickup.audit_trail().count() == 0


def test_records_roll_back_with_the_enclosing_transaction() -> None:
    pickup = make_pickup()
    inside = -1
    try:
        with transaction.atomic():
            pickup.assign("bob")
            inside = pickup.audit_trail().count()
            raise RuntimeError("the caller gives up")
    except RuntimeError:
        pass
    assert inside == 1
    assert pickup.audit_trail().count() == 0


def test_audit_data_that_is_not_a_mapping_fails_the_call() -> None:
    pickup = make_pickup()

    def rename(self: Pickup) -> None:
        self.notes = "renamed"

    with pytest.raises(TypeError, match="must return a mapping"):
        operation(audit=lambda self: ["not", "a", "mapping"])(rename)(pickup)
    pickup.refresh_from_db()
    assert pickup.notes == ""
    assert pickup.audit_trail().count() == 0


def test_on_error_state_is_recorded_with_the_error() -> None:
    pickup = make_pickup(state=Pickup.State.TO_HOTEL)
    with pytest.raises(RuntimeError):
        pickup.dropped_off(crash=True)
    [record] = pickup.audit_trail()
    assert (record.source, record.target) == ("to_hotel", "failed")
    assert record.data == {"error": "RuntimeError: the car broke down"}


def test_asof_given_by_the_caller_is_the_records_time() -> None:
    pickup = make_pickup()
    pickup.assign("bob", asof=FIXED)  # assign() does not declare asof: it only dates the record
    assert pickup.audit_trail().get().created_at == FIXED


def test_method_declaring_asof_gets_the_records_time() -> None:
    account = open_account()
    account.deposit(D("1.00"))
    record = account.audit_trail().last()
    assert record is not None
    account.refresh_from_db()
    # The seed's promise: the object's modification time is its record's time, exactly.
    assert account.modified == record.created_at


def test_the_clock_comes_from_the_settings() -> None:
    with override_settings(DJANGO_GUARDED={"CLOCK": "tests.test_audit.fixed_clock"}):
        account = open_account()
        account.deposit(D("1.00"))
    assert [r.created_at for r in account.audit_trail()] == [FIXED, FIXED]
    account.refresh_from_db()
    assert account.created == account.modified == FIXED


def test_actor_may_be_system_or_any_object() -> None:
    pickup = make_pickup()
    pickup.assign("bob", by=SYSTEM)
    pickup.accept(by="cron: nightly")
    assert [(r.actor, r.actor_model) for r in pickup.audit_trail()] == [
        ("django_guarded.SYSTEM", ""),
        ("cron: nightly", ""),
    ]


def test_model_can_opt_out() -> None:
    bank = Bank.objects.found("quiet", cap=D("10.00"))
    bank.move(D("1.00"))
    assert bank.total == D("1.00")
    assert not AuditRecord.objects.filter(model="bank.bank").exists()


def test_audit_can_be_switched_off_in_the_settings() -> None:
    with override_settings(DJANGO_GUARDED={"AUDIT": False}):
        make_pickup().assign("bob")
    assert not AuditRecord.objects.exists()


def test_history_is_in_the_order_of_the_calls() -> None:
    pickup = make_pickup()
    pickup.assign("bob", asof=FIXED)
    pickup.accept(asof=FIXED - datetime.timedelta(days=1))  # a back-dated record
    pickup.picked_up()
    assert [r.method for r in pickup.audit_trail()] == ["assign", "accept", "picked_up"]
    assert list(pickup.audit_trail()) == list(AuditRecord.objects.for_object(pickup))


def test_uuid_primary_keys_are_recorded_as_text() -> None:
    card = Card.objects.issue(open_account(), expires=datetime.date(2030, 1, 1))
    card.activate()
    assert [r.object_pk for r in card.audit_trail()] == [str(card.pk), str(card.pk)]
    assert [r.method for r in card.audit_trail()] == ["issue", "activate"]


def test_proxy_instances_share_the_concrete_models_history() -> None:
    from tests.testapp.models import ArchivedInvoice, Invoice

    with unguarded():
        invoice = Invoice.objects.create(title="t", state="approved")
    ArchivedInvoice.objects.get(pk=invoice.pk).pay(D("3.00"))
    assert [r.model for r in invoice.audit_trail()] == ["testapp.invoice"]


# -- Append-only ---------------------------------------------------------------------------


def stored_record() -> AuditRecord:
    make_pickup().assign("bob")
    return AuditRecord.objects.get()


def test_stored_record_cannot_be_saved_again() -> None:
    record = stored_record()
    record.target = "dropped_off"
    with pytest.raises(AppendOnlyError, match="append-only"):
        record.save()
    with unguarded(), pytest.raises(AppendOnlyError):
        record.save()
    assert AuditRecord.objects.get().target == "waiting"


def test_record_cannot_be_deleted() -> None:
    record = stored_record()
    with unguarded(), pytest.raises(AppendOnlyError):
        record.delete()
    assert AuditRecord.objects.count() == 1


@pytest.mark.parametrize(
    "write",
    [
        lambda qs: qs.update(target="x"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["target"]),
        lambda qs: qs.update_or_create(id=qs.get().id, defaults={"target": "x"}),
        lambda qs: AuditRecord.objects.update(target="x"),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create", "manager_update"],
)
def test_queryset_writes_are_refused_even_unguarded(write: Any) -> None:
    stored_record()
    with unguarded(), pytest.raises(AppendOnlyError):
        write(AuditRecord.objects.all())
    assert AuditRecord.objects.get().target == "waiting"


def test_records_are_not_created_by_hand() -> None:
    with pytest.raises(DirectSaveError):
        AuditRecord.objects.create(
            created_at=FIXED, model="testapp.pickup", object_pk="1", kind="operation", method="x"
        )
    with unguarded():  # test setup may fake a trail
        AuditRecord.objects.create(
            created_at=FIXED, model="testapp.pickup", object_pk="1", kind="operation", method="x"
        )
    assert AuditRecord.objects.count() == 1


def test_str_says_what_happened() -> None:
    record = stored_record()
    assert str(record).startswith(f"testapp.pickup {record.object_pk}: assign() request -> waiting")


def test_the_base_manager_refuses_too() -> None:
    stored_record()
    with unguarded(), pytest.raises(AppendOnlyError):
        AuditRecord._base_manager.update(target="x")
