"""``manage.py guarded_verify``: replay the trail, report what disagrees, exit 1 then."""

from __future__ import annotations

import decimal
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from django_guarded import unguarded
from django_guarded.models import AuditRecord
from tests.bank.models import Account as BankAccount
from tests.bank.models import Bank
from tests.testapp.models import Account, Entry, Ledger, Pickup, Ticket

pytestmark = pytest.mark.django_db

D = decimal.Decimal


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("guarded_verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def failing(*args: str) -> tuple[str, CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("guarded_verify", *args, stdout=out, stderr=io.StringIO())
    assert caught.value.returncode == 1
    return out.getvalue(), caught.value


def make_pickup() -> Pickup:
    with unguarded():
        return Pickup.objects.create()


def raw_record(**fields: object) -> AuditRecord:
    values: dict[str, object] = {
        "created_at": "2020-01-01T00:00:00Z",
        "model": "testapp.ticket",
        "object_pk": "1",
        "kind": "transition",
        "method": "close",
        "field": "state",
        **fields,
    }
    with unguarded():
        return AuditRecord.objects.create(**values)


def test_consistent_trail_passes() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    pickup.accept()
    Account.objects.create_trial().signup()
    output = run()
    assert output == "Checked the records of 2 objects (2 states) of 2 models: 0 problems.\n"


def test_empty_trail_passes() -> None:
    assert run() == "Checked the records of 0 objects (0 states) of 0 models: 0 problems.\n"


def test_state_changed_behind_the_trail_is_reported() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    with unguarded():
        Pickup.objects.filter(pk=pickup.pk).update(state="dropped_off")
    output, error = failing()
    assert (
        f"testapp.pickup pk={pickup.pk}: state is 'dropped_off' but its last record "
        f"(#{AuditRecord.objects.get().pk}, assign) says 'waiting'"
    ) in output
    assert str(error) == "Checked the records of 1 object (1 state) of 1 model: 1 problem."


def test_a_gap_in_the_chain_is_reported() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    with unguarded():
        Pickup.objects.filter(pk=pickup.pk).update(state="to_airport")
    pickup.refresh_from_db()
    pickup.picked_up()  # the current state matches its record again...
    output, _ = failing()
    # ...but the move from 'waiting' to 'to_airport' has no record.
    assert "state went from 'waiting' to 'to_airport' without a record" in output
    assert "(assign) and record" in output
    assert "(picked_up)" in output


def test_models_can_add_their_own_checks() -> None:
    user = get_user_model().objects.create(username="ada")
    bank = Bank.objects.found("b", cap=D("1000.00"))
    account = BankAccount.objects.open(user, bank=bank, limit=D("500.00"))
    account.deposit(D("40.00"))
    account.withdraw(D("15.00"))
    assert "0 problems" in run("bank")
    with unguarded():
        BankAccount.objects.filter(pk=account.pk).update(balance=D("125.00"))
    output, _ = failing("bank.account")
    assert (
        f"bank.account pk={account.pk}: balance is 125.00 but the recorded deltas add up to 25.00"
        in output
    )


def test_a_row_deleted_around_the_model_is_a_problem() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    record = AuditRecord.objects.get()
    with unguarded():
        pickup.delete()
    output, _ = failing()
    assert (
        f"testapp.pickup pk={record.object_pk}: its row is gone, but its last record "
        f"(#{record.pk}, assign) is no deletion by one of its own methods"
    ) in output


def test_objects_their_own_methods_deleted_are_counted_not_failed() -> None:
    ledger = Ledger.objects.open("2026")
    entry = Entry.objects.book(ledger, D("3.00"))
    entry.cancel()
    kinds = list(AuditRecord.objects.filter(model="testapp.entry").values_list("kind", "method"))
    assert kinds == [("creation", "book"), ("deletion", "cancel")]  # one record per call
    assert run() == (
        "Checked the records of 1 object (0 states) of 2 models, and 1 object its own methods "
        "deleted: 0 problems.\n"
    )


def test_labels_limit_the_check() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    with unguarded():
        Pickup.objects.update(state="request")
    assert "0 problems" in run("bank")
    failing("testapp")
    failing("testapp.Pickup")


def test_unknown_models_in_the_trail_are_named() -> None:
    with unguarded():
        AuditRecord.objects.create(
            created_at="2020-01-01T00:00:00Z",
            model="gone.model",
            object_pk="1",
            kind="transition",
            method="x",
            field="state",
            target="a",
        )
    err = io.StringIO()
    call_command("guarded_verify", stdout=io.StringIO(), stderr=err)
    assert "gone.model: the trail names this model, which is not installed" in err.getvalue()


def test_a_state_changed_before_any_transition_is_reported() -> None:
    """The creation record holds the first state: an object that never transitioned
    is checked, and so is the first move of one that did."""
    never = Ticket.objects.file("never moved")
    moved = Ticket.objects.file("moved later")
    with unguarded():
        Ticket.objects.filter(pk__in=[never.pk, moved.pk]).update(state="closed")
    moved.refresh_from_db()
    moved.reopen()  # from "closed", which no record ever led to
    output, _ = failing()
    creation = AuditRecord.objects.get(object_pk=str(never.pk))
    assert (
        f"testapp.ticket pk={never.pk}: state is 'closed' but its last record "
        f"(#{creation.pk}, file) says 'open'"
    ) in output
    assert f"testapp.ticket pk={moved.pk}: state went from 'open' to 'closed' without a record" in (
        output
    )


def test_a_move_its_transition_does_not_declare_is_reported() -> None:
    ticket = Ticket.objects.file("printer")
    ticket.close()
    raw_record(object_pk=str(ticket.pk), method="close", source="closed", target="open")
    raw_record(object_pk=str(ticket.pk), method="reopen", source="open", target="closed")
    output, _ = failing()
    assert (
        "testapp.ticket pk=*: 1 record(s) of Ticket.close() move state from 'closed' to "
        "'open', which close() does not declare"
    ) in output
    assert "Ticket.reopen() move state from 'open' to 'closed'" in output


def test_declared_moves_with_wildcards_and_computed_targets_pass() -> None:
    pickup = make_pickup()
    pickup.abandon()  # source "+"
    pickup.reset("request")  # source "*", target RETURN_VALUE(...)
    pickup.triage(vip=True)  # GET_STATE(..., states=[...])
    assert "0 problems" in run("testapp.pickup")


def test_records_that_name_no_valid_object_are_reported_not_crashed_on() -> None:
    raw_record(object_pk="", method="close", source="open", target="closed")
    raw_record(object_pk="not-a-number", method="close", source="open", target="closed")
    output, error = failing()
    assert "testapp.ticket pk=: 1 record(s) of Ticket.close() name no object" in output
    assert "testapp.ticket pk=not-a-number: its records name the primary key 'not-a-number'" in (
        output
    )
    assert error.returncode == 1


def test_a_model_hook_that_raises_is_reported() -> None:
    user = get_user_model().objects.create(username="ada")
    account = BankAccount.objects.open(
        user, bank=Bank.objects.found("b", cap=D("100.00")), limit=D("50.00")
    )
    with unguarded():
        AuditRecord.objects.create(
            created_at="2020-01-01T00:00:00Z",
            model="bank.account",
            object_pk=str(account.pk),
            kind="operation",
            method="deposit",
            data={"delta": "not a number"},
        )
    output, _ = failing("bank.account")
    assert f"bank.account pk={account.pk}: its verify_audit_trail() raised" in output


def test_a_transition_that_is_gone_is_a_note_not_a_problem() -> None:
    ticket = Ticket.objects.file("printer")
    raw_record(object_pk=str(ticket.pk), method="escalate", field="", source=None, target=None)
    raw_record(object_pk=str(ticket.pk), method="renamed_away", source="open", target="open")
    err = io.StringIO()
    call_command("guarded_verify", stdout=io.StringIO(), stderr=err)
    assert "the trail names Ticket.renamed_away(), which is not a transition any more" in (
        err.getvalue()
    )
