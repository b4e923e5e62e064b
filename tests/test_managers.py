"""Guarded managers and querysets: writes only from the model's own code."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction

from django_guarded import DirectSaveError, GuardedError, unguarded
from tests.testapp.models import (
    Account,
    BillingInfo,
    Entry,
    ForeignInvoice,
    Invoice,
    Ledger,
    Seat,
    Subscription,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    return Account.objects.create_trial(name="ada")


WRITES: dict[str, Callable[[], Any]] = {
    "create": lambda: Account.objects.create(),
    "get_or_create": lambda: Account.objects.get_or_create(name="new"),
    "update_or_create": lambda: Account.objects.update_or_create(name="new"),
    "update": lambda: Account.objects.filter(status="trial").update(status="signedup"),
    "delete": lambda: Account.objects.all().delete(),
    "bulk_create": lambda: Account.objects.bulk_create([Account()]),
    "bulk_update": lambda: Account.objects.bulk_update(list(Account.objects.all()), ["name"]),
}


@pytest.mark.parametrize("action", sorted(WRITES))
def test_queryset_writes_outside_the_model_raise(action: str, account: Account) -> None:
    before = list(Account.objects.values_list("pk", "status", "name"))
    with pytest.raises(DirectSaveError) as caught:
        WRITES[action]()
    message = str(caught.value)
    assert f"Account.objects.{action}() is guarded" in message
    assert "Account.objects.create_trial()" in message
    assert isinstance(caught.value, GuardedError)
    assert list(Account.objects.values_list("pk", "status", "name")) == before


@pytest.mark.parametrize("action", sorted(WRITES))
def test_queryset_writes_inside_unguarded_work(action: str, account: Account) -> None:
    with unguarded():
        WRITES[action]()


ASYNC_WRITES: dict[str, Callable[[Account], Any]] = {
    "acreate": lambda a: Account.objects.acreate(),
    "aget_or_create": lambda a: Account.objects.aget_or_create(name="new"),
    "aupdate_or_create": lambda a: Account.objects.aupdate_or_create(name="new"),
    "aupdate": lambda a: Account.objects.filter(pk=a.pk).aupdate(status="signedup"),
    "adelete": lambda a: Account.objects.filter(pk=a.pk).adelete(),
    "abulk_create": lambda a: Account.objects.abulk_create([Account()]),
    "abulk_update": lambda a: Account.objects.abulk_update([a], ["name"]),
    "instance.asave": lambda a: a.asave(),
    "instance.adelete": lambda a: a.adelete(),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", sorted(ASYNC_WRITES))
def test_async_twins_are_guarded(action: str) -> None:
    account = Account.objects.create_trial()

    async def write() -> Any:
        return await ASYNC_WRITES[action](account)

    with pytest.raises(DirectSaveError):
        async_to_sync(write)()
    assert Account.objects.filter(pk=account.pk, status="trial").exists()


@pytest.mark.django_db(transaction=True)
def test_async_caller_can_run_an_operation() -> None:
    account = Account.objects.create_trial()
    async_to_sync(sync_to_async(account.signup))()
    assert Account.objects.get(pk=account.pk).status == "signedup"


def test_instance_save_and_delete_outside_the_model_raise(account: Account) -> None:
    account.name = "changed"
    with pytest.raises(DirectSaveError, match=r"Account.save\(\) is guarded"):
        account.save()
    with pytest.raises(DirectSaveError, match=r"Account.delete\(\) is guarded"):
        account.delete()
    stored = Account.objects.get(pk=account.pk)
    assert stored.name == "ada"


def test_new_instances_can_be_built_but_not_saved() -> None:
    account = Account(status="signedup")
    assert account.status == "signedup"
    with pytest.raises(DirectSaveError):
        account.save()
    assert not Account.objects.exists()


def test_related_manager_writes_are_guarded(account: Account) -> None:
    subscription = Subscription.objects.create(label="s")
    with unguarded():
        seat = Seat.objects.create(subscription=subscription, holder="a")
    with pytest.raises(DirectSaveError):
        subscription.seat_set.create(holder="b")
    with pytest.raises(DirectSaveError):
        subscription.seat_set.all().update(holder="b")
    assert list(subscription.seat_set.values_list("holder", flat=True)) == ["a"]
    seat.reassign("c")
    assert Seat.objects.get(pk=seat.pk).holder == "c"


def test_cascade_from_a_plain_model_into_a_guarded_one_is_refused() -> None:
    subscription = Subscription.objects.create(label="s")
    with unguarded():
        Seat.objects.create(subscription=subscription)
    # A refused cascade aborts its transaction like any database error: the
    # savepoint keeps the test's own transaction usable.
    with (
        pytest.raises(DirectSaveError, match=r"would also delete Seat pk=\d+, which is guarded"),
        transaction.atomic(),
    ):
        subscription.delete()
    assert Subscription.objects.filter(pk=subscription.pk).exists()
    assert Seat.objects.count() == 1
    with unguarded():
        subscription.delete()
    assert Seat.objects.count() == 0


def test_cascade_inside_the_model_operation_is_allowed() -> None:
    account = Account.objects.create_signup(address="a", card_type="visa")
    with unguarded():
        account.delete()
    assert not BillingInfo.objects.exists()


def test_reading_is_never_restricted(account: Account) -> None:
    assert Account.objects.filter(status="trial").count() == 1
    assert list(Account.objects.values_list("name", flat=True)) == ["ada"]
    assert Account.objects.get(pk=account.pk).signup_date is None


def test_the_base_manager_is_guarded_too(account: Account) -> None:
    """Django's internal manager is no way around the guard."""
    with pytest.raises(DirectSaveError):
        Account._base_manager.filter(pk=account.pk).update(status="expired")
    assert Account._base_manager.get(pk=account.pk).status == "trial"


def test_reverse_relation_add_goes_through_the_guard() -> None:
    first = Subscription.objects.create(label="first")
    second = Subscription.objects.create(label="second")
    with unguarded():
        seat = Seat.objects.create(subscription=first)
    # add() runs in atomic(savepoint=False): the savepoints keep the test's transaction usable.
    with pytest.raises(DirectSaveError), transaction.atomic():
        second.seat_set.add(seat)  # one UPDATE through the base manager
    with pytest.raises(DirectSaveError), transaction.atomic():
        second.seat_set.add(seat, bulk=False)  # seat.save()
    assert Seat.objects.get(pk=seat.pk).subscription == first


def test_a_cascade_started_in_another_models_operation_is_refused() -> None:
    """Permission to write a Ledger never opens its entries: Ledger.close() cannot
    delete them by cascade, although a Ledger's own delete is allowed."""
    ledger = Ledger.objects.open("2026")
    Entry.objects.book(ledger, D("12.50"))
    with (
        pytest.raises(DirectSaveError, match=r"would also delete Entry pk=\d+, which is guarded"),
        transaction.atomic(),
    ):
        ledger.close()
    assert Ledger.objects.filter(pk=ledger.pk).exists()
    assert Entry.objects.count() == 1


def test_an_operation_deletes_its_own_object_and_its_parent_row() -> None:
    entry = Entry.objects.book(Ledger.objects.open("2026"), D("1.00"))
    entry.cancel()
    assert not Entry.objects.exists()
    with unguarded():
        invoice = ForeignInvoice.objects.create(title="abroad")
    invoice.discard()
    assert not ForeignInvoice.objects.exists()
    assert not Invoice.objects.exists()
