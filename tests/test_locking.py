"""Pessimistic (``lock=True``) and optimistic (version or state) locking, one connection.

The same stale-instance situations that real races produce are staged here with
two instances of one row; ``test_bank_races.py`` runs real concurrent connections.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import django_fsm
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_guarded import (
    SYSTEM,
    ConcurrentTransition,
    DirectSaveError,
    GuardedError,
    retrying,
    unguarded,
)
from django_guarded.models import AuditRecord
from tests.bank.errors import InsufficientFunds
from tests.bank.models import Account, Bank, Card, OptimisticAccount

pytestmark = pytest.mark.django_db

D = decimal.Decimal


@pytest.fixture
def bank() -> Bank:
    return Bank.objects.found("test", cap=D("10000.00"))


def open_account(bank: Bank, model: Any = Account, balance: str = "100.00") -> Any:
    user = get_user_model().objects.create(username=f"u{get_user_model().objects.count()}")
    account = model.objects.open(user, bank=bank, limit=D("1000.00"))
    if D(balance):
        account.deposit(D(balance))
    return account


def records(account: Any) -> list[str]:
    return [str(r.data.get("delta")) for r in account.audit_trail() if r.method != "open"]


# -- Pessimistic ---------------------------------------------------------------------------


@pytest.mark.parametrize("in_atomic", [False, True], ids=["autocommit", "inside-atomic"])
def test_lock_works_on_the_current_row_not_the_callers_copy(bank: Bank, in_atomic: bool) -> None:
    mine = open_account(bank)
    theirs = Account.objects.get(pk=mine.pk)
    theirs.withdraw(D("70.00"))  # mine still says 100.00
    if in_atomic:
        with transaction.atomic(), pytest.raises(InsufficientFunds):
            mine.withdraw(D("50.00"))
    else:
        with pytest.raises(InsufficientFunds):
            mine.withdraw(D("50.00"))
    # The failed call wrote nothing; the caller's copy now shows the row as it read it.
    assert mine.balance == D("30.00")
    mine.withdraw(D("30.00"))
    assert mine.balance == D("0.00")  # the caller's instance shows the result
    assert Account.objects.get(pk=mine.pk).balance == D("0.00")
    assert records(mine) == ["100.00", "-70.00", "-30.00"]


def test_lock_reads_the_row_with_select_for_update(bank: Bank) -> None:
    account = open_account(bank)
    with CaptureQueriesContext(connection) as queries:
        account.deposit(D("1.00"))
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    if connection.features.has_select_for_update:
        assert selects[0].endswith("FOR UPDATE")
        assert '"bank_account"' in selects[0] or "`bank_account`" in selects[0]


def test_lock_rechecks_a_transition_on_the_current_state(bank: Bank) -> None:
    mine = open_account(bank, balance="0")
    theirs = Account.objects.get(pk=mine.pk)
    theirs.deposit(D("5.00"))
    # mine sees balance 0, so close()'s condition holds on the copy, not on the row.
    with pytest.raises(django_fsm.TransitionNotAllowed, match="conditions are not met"):
        mine.close()
    assert Account.objects.get(pk=mine.pk).status == "active"


def test_lock_needs_a_saved_row(bank: Bank) -> None:
    account = Account(bank=bank, limit=D("1.00"))
    with pytest.raises(
        DirectSaveError, match=r"on an unsaved Account object.*Account\.objects\.open\(\)"
    ):
        account.deposit(D("1.00"))
    assert not Account.objects.exists()


# -- Optimistic: version column ------------------------------------------------------------


def test_version_goes_up_with_each_saved_call(bank: Bank) -> None:
    account = open_account(bank, OptimisticAccount)
    assert account.version == 1  # opened at 0, one deposit
    account.withdraw(D("1.00"))
    assert account.version == 2
    assert OptimisticAccount.objects.get(pk=account.pk).version == 2


def test_lost_race_raises_and_writes_nothing(bank: Bank) -> None:
    mine = open_account(bank, OptimisticAccount)
    theirs = OptimisticAccount.objects.get(pk=mine.pk)
    theirs.withdraw(D("70.00"))
    with pytest.raises(ConcurrentTransition, match=r"changed by another transaction") as caught:
        mine.withdraw(D("50.00"))  # the copy's 100.00 covers it, the row's 30.00 does not
    assert isinstance(caught.value, GuardedError)
    assert isinstance(caught.value, django_fsm.ConcurrentTransition)
    assert "retrying()" in str(caught.value)
    stored = OptimisticAccount.objects.get(pk=mine.pk)
    assert (stored.balance, stored.version) == (D("30.00"), 2)
    assert (mine.balance, mine.version) == (D("100.00"), 1)  # restored, not half-applied
    bank.refresh_from_db()
    assert bank.total == D("30.00")  # the bank's share of the lost call was rolled back too
    assert records(mine) == ["100.00", "-70.00"]


def test_update_is_conditional_on_the_loaded_version(bank: Bank) -> None:
    account = open_account(bank, OptimisticAccount)
    with CaptureQueriesContext(connection) as queries:
        account.deposit(D("1.00"))
    [update] = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "optimisticaccount" in q["sql"]
    ]
    where = update.split(" WHERE ", 1)[1]
    assert "version" in where
    assert " 1" in where or "= 1" in where


def test_retrying_refreshes_a_bound_method_and_calls_again(bank: Bank) -> None:
    mine = open_account(bank, OptimisticAccount)
    OptimisticAccount.objects.get(pk=mine.pk).deposit(D("10.00"))
    retrying(mine.withdraw, backoff=0)(D("50.00"))  # loses once, then works on 110.00
    assert mine.balance == D("60.00")
    assert OptimisticAccount.objects.get(pk=mine.pk).balance == D("60.00")
    assert records(mine) == ["100.00", "10.00", "-50.00"]


def test_retrying_gives_up_after_its_attempts(bank: Bank) -> None:
    account = open_account(bank, OptimisticAccount)
    calls = []

    def always_loses() -> None:
        calls.append(1)
        raise ConcurrentTransition("lost again")

    with pytest.raises(ConcurrentTransition, match="lost again"):
        retrying(always_loses, attempts=4, backoff=0)()
    assert len(calls) == 4
    with pytest.raises(ValueError, match="attempts"):
        retrying(account.deposit, attempts=0)


def test_retrying_as_a_decorator_reloads_what_the_function_loads(bank: Bank) -> None:
    account = open_account(bank, OptimisticAccount)
    stale = OptimisticAccount.objects.get(pk=account.pk)
    account.deposit(D("1.00"))
    loads = []

    @retrying(attempts=2, backoff=0)
    def withdraw_all(pk: int) -> D:
        target = stale if not loads else OptimisticAccount.objects.get(pk=pk)
        loads.append(target)
        target.withdraw(target.balance)
        return target.balance

    assert withdraw_all(account.pk) == D("0.00")
    assert len(loads) == 2
    assert withdraw_all.__name__ == "withdraw_all"


def test_other_errors_are_not_retried(bank: Bank) -> None:
    account = open_account(bank, OptimisticAccount)
    with pytest.raises(InsufficientFunds):
        retrying(account.withdraw)(D("500.00"))


def test_unguarded_saves_bump_the_version_too(bank: Bank) -> None:
    account = open_account(bank, OptimisticAccount)
    with unguarded():
        account.save()  # a data fix
    assert account.version == 2
    stale = OptimisticAccount.objects.get(pk=account.pk)
    with unguarded():
        account.save()
    with pytest.raises(ConcurrentTransition):
        stale.deposit(D("1.00"))


# -- Optimistic: state fields only ---------------------------------------------------------


def test_state_conditioned_transition_loses_to_a_concurrent_one(bank: Bank) -> None:
    card = Card.objects.issue(open_account(bank), expires=datetime.date(2030, 1, 1))
    clerk_a = Card.objects.get(pk=card.pk)
    clerk_b = Card.objects.get(pk=card.pk)
    clerk_a.activate()
    with pytest.raises(ConcurrentTransition, match="state='issued'"):
        clerk_b.block()  # "+" allows it from 'issued', but the row is 'active' now
    assert Card.objects.get(pk=card.pk).state == "active"
    assert clerk_b.state == "issued"
    assert [r.method for r in AuditRecord.objects.for_object(card)] == ["issue", "activate"]
    clerk_b.refresh_from_db()
    clerk_b.block()
    assert Card.objects.get(pk=card.pk).state == "blocked"


def test_locked_transition_starts_from_the_rows_state_not_the_copys(bank: Bank) -> None:
    mine = open_account(bank, balance="0")
    theirs = Account.objects.get(pk=mine.pk)
    clerk = get_user_model().objects.create(username="clerk")
    theirs.freeze(by=SYSTEM)
    # mine still says 'active', from where unfreeze() cannot start; the row says 'frozen'.
    mine.unfreeze(by=SYSTEM)
    assert mine.status == "active"
    with pytest.raises(django_fsm.TransitionNotAllowed, match="is 'active'"):
        theirs.unfreeze(by=clerk)  # theirs says 'frozen': the row decides, and refuses
    assert [r.method for r in mine.audit_trail()] == ["open", "freeze", "unfreeze"]
