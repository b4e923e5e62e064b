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
from tests.testapp.models import Account, Pickup

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


def test_consistent_trail_passes() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    pickup.accept()
    Account.objects.create_trial().signup()
    output = run()
    assert "0 problem(s)" in output
    assert "Checked 2 object states of 2 model(s)" in output


def test_empty_trail_passes() -> None:
    assert "Checked 0 object states of 0 model(s): 0 problem(s)." in run()


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
    assert "1 problem(s)" in str(error)


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
    assert "0 problem(s)" in run("bank")
    with unguarded():
        BankAccount.objects.filter(pk=account.pk).update(balance=D("125.00"))
    output, _ = failing("bank.account")
    assert (
        f"bank.account pk={account.pk}: balance is 125.00 but the recorded deltas add up to 25.00"
        in output
    )


def test_deleted_objects_are_counted_not_failed() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    with unguarded():
        pickup.delete()
    assert "1 no longer exist: 0 problem(s)" in run()


def test_labels_limit_the_check() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    with unguarded():
        Pickup.objects.update(state="request")
    assert "0 problem(s)" in run("bank")
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
