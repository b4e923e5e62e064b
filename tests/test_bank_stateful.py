"""Random sequences of bank calls against a reference model (a Hypothesis state machine).

Hypothesis picks deposits, withdrawals (valid and invalid amounts), freezes,
unfreezes, closings and bulk freezes, through two copies of each account (one of
them never refreshed, like a second device). After every step the database, the
audit trail and the reference model must agree, and the seed's invariants hold.
"""

from __future__ import annotations

import decimal
import itertools
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from django_guarded import SYSTEM, TransitionNotAllowed
from django_guarded._audit.verify import verify
from tests.bank import errors
from tests.bank.models import MAX_AMOUNT, Account, Bank

pytestmark = pytest.mark.django_db

D = decimal.Decimal
ACCOUNTS = 3
LIMIT = D("300.00")
CAP = D("600.00")
_runs = itertools.count()

amounts = st.one_of(
    st.integers(min_value=1, max_value=40000).map(lambda cents: D(cents) / 100),
    st.sampled_from([D("0.00"), D("-5.00"), MAX_AMOUNT + D("0.01")]),
)


class BankMachine(RuleBasedStateMachine):
    """The bank, and beside it what it should hold."""

    @initialize()
    def open_bank(self) -> None:
        run = next(_runs)
        self.bank = Bank.objects.found(f"stateful-{run}", cap=CAP)
        user_model = get_user_model()
        self.clerk = user_model.objects.create(username=f"clerk-{run}")
        self.clerk.user_permissions.add(Permission.objects.get(codename="freeze_account"))
        self.copies: list[tuple[Account, Account]] = []
        for number in range(ACCOUNTS):
            user = user_model.objects.create(username=f"holder-{run}-{number}")
            account = Account.objects.open(user, bank=self.bank, limit=LIMIT)
            self.copies.append((account, Account.objects.get(pk=account.pk)))
        # The reference model.
        self.balance = [D("0.00")] * ACCOUNTS
        self.status = ["active"] * ACCOUNTS
        self.methods: list[list[str]] = [["open"] for _ in range(ACCOUNTS)]

    def account(self, index: int, copy: int) -> Account:
        return self.copies[index][copy]

    def expect(self, call: Any, error: type[Exception] | None) -> bool:
        """Run ``call``; it must raise ``error`` (or succeed when ``None``)."""
        if error is None:
            call()
            return True
        with pytest.raises(error):
            call()
        return False

    def movement_error(self, index: int, amount: D, delta: D) -> type[Exception] | None:
        if not D("0") < amount <= MAX_AMOUNT:
            return errors.InvalidAmount
        if self.status[index] != "active":
            return errors.AccountNotActive
        if self.balance[index] + delta < 0:
            return errors.InsufficientFunds
        if self.balance[index] + delta > LIMIT:
            return errors.ExceedsLimit
        if sum(self.balance) + delta > CAP:
            return errors.ExceedsTotalCap
        return None

    @rule(index=st.integers(0, ACCOUNTS - 1), copy=st.integers(0, 1), amount=amounts)
    def deposit(self, index: int, copy: int, amount: D) -> None:
        error = self.movement_error(index, amount, amount)
        if self.expect(lambda: self.account(index, copy).deposit(amount), error):
            self.balance[index] += amount
            self.methods[index].append("deposit")

    @rule(index=st.integers(0, ACCOUNTS - 1), copy=st.integers(0, 1), amount=amounts)
    def withdraw(self, index: int, copy: int, amount: D) -> None:
        error = self.movement_error(index, amount, -amount)
        if self.expect(lambda: self.account(index, copy).withdraw(amount), error):
            self.balance[index] -= amount
            self.methods[index].append("withdraw")

    def state_move(
        self, index: int, copy: int, method: str, sources: set[str], target: str
    ) -> None:
        # Every state move locks the row: a stale copy still sees the current state.
        allowed = self.status[index] in sources
        if method == "close":
            allowed = allowed and self.balance[index] == 0
        kwargs = {} if method == "close" else {"by": self.clerk}
        error = None if allowed else TransitionNotAllowed
        if self.expect(lambda: getattr(self.account(index, copy), method)(**kwargs), error):
            self.status[index] = target
            self.methods[index].append(method)

    @rule(index=st.integers(0, ACCOUNTS - 1), copy=st.integers(0, 1))
    def freeze(self, index: int, copy: int) -> None:
        self.state_move(index, copy, "freeze", {"active"}, "frozen")

    @rule(index=st.integers(0, ACCOUNTS - 1), copy=st.integers(0, 1))
    def unfreeze(self, index: int, copy: int) -> None:
        self.state_move(index, copy, "unfreeze", {"frozen"}, "active")

    @rule(index=st.integers(0, ACCOUNTS - 1), copy=st.integers(0, 1))
    def close(self, index: int, copy: int) -> None:
        self.state_move(index, copy, "close", {"active", "frozen"}, "closed")

    @rule()
    def freeze_all(self) -> None:
        moved = Account.objects.filter(bank=self.bank).bulk_transition("freeze", by=SYSTEM)
        active = [i for i, status in enumerate(self.status) if status == "active"]
        assert moved == len(active)
        for index in active:
            self.status[index] = "frozen"
            self.methods[index].append("freeze")

    @invariant()
    def database_agrees(self) -> None:
        if not hasattr(self, "copies"):
            return
        self.bank.refresh_from_db()
        stored = {a.pk: a for a in Account.objects.filter(bank=self.bank)}
        for index, (account, _) in enumerate(self.copies):
            row = stored[account.pk]
            assert row.balance == self.balance[index]
            assert row.status == self.status[index]
            assert 0 <= row.balance <= row.limit
            trail = list(row.audit_trail())
            assert [r.method for r in trail] == self.methods[index]
            deltas = sum((D(r.data.get("delta", "0")) for r in trail), D("0"))
            assert deltas == row.balance
        assert self.bank.total == sum(self.balance) <= CAP

    def teardown(self) -> None:
        if hasattr(self, "copies"):
            assert verify("default", ["bank.account"]).problems == []


def test_random_sequences_agree_with_the_reference_model() -> None:
    run_state_machine_as_test(
        BankMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
