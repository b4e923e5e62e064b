"""The bank account of "Bullet Proofing Django Models".

The balance only moves through ``deposit()`` and ``withdraw()``, operations that
lock the account's row first (two withdrawals at once cannot both see the old
balance) and write an :class:`Action` for every movement.
"""

from __future__ import annotations

import decimal
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from django_guarded import FSMField, GuardedManager, GuardedModel, guarded, operation, transition

MAX_BALANCE = decimal.Decimal("10000")
MIN_AMOUNT = decimal.Decimal("1")
MAX_AMOUNT = decimal.Decimal("5000")


class InsufficientFunds(ValidationError):
    """The account holds less than the amount asked for."""


class AccountManager(GuardedManager["Account"]):
    @operation
    def open_for(self, user: Any) -> Account:
        """Open an empty account for ``user`` (one each)."""
        return self.create(user=user)


def is_empty(account: Account) -> bool:
    """Withdraw the whole balance first: only an empty account can be closed."""
    return account.balance == 0


class Account(GuardedModel):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        FROZEN = "frozen", "Frozen"
        CLOSED = "closed", "Closed"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = guarded(models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT))
    state = FSMField(choices=State.choices, default=State.OPEN, max_length=10)
    balance = guarded(models.DecimalField(max_digits=12, decimal_places=2, default=0))
    note = models.CharField(
        max_length=100,
        blank=True,
        help_text="Free text: anyone who may change the account edits it.",
    )

    objects = AccountManager()

    class Meta:
        permissions = [
            ("deposit_account", "Can deposit into account"),
            ("withdraw_account", "Can withdraw from account"),
            ("freeze_account", "Can freeze and unfreeze account"),
            ("close_account", "Can close account"),
        ]

    def __str__(self) -> str:
        return f"{self.user}'s account"

    def _check_amount(self, amount: decimal.Decimal) -> None:
        if self.state != self.State.OPEN:
            raise ValidationError(
                f"The account is {self.get_state_display().lower()}: no money moves."
            )
        if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
            raise ValidationError(f"Amounts go from {MIN_AMOUNT} to {MAX_AMOUNT}, not {amount}.")

    @operation(lock=True)
    def deposit(self, amount: decimal.Decimal, *, by: Any = None, reference: str = "") -> None:
        """Add ``amount`` to the balance, up to the account's limit."""
        self._check_amount(amount)
        if self.balance + amount > MAX_BALANCE:
            raise ValidationError(f"The balance may not exceed {MAX_BALANCE}.")
        self.balance += amount
        Action.objects.record(self, Action.Type.DEPOSIT, amount, by, reference)

    @operation(lock=True)
    def withdraw(self, amount: decimal.Decimal, *, by: Any = None) -> None:
        """Take ``amount`` from the balance, never below zero."""
        self._check_amount(amount)
        if amount > self.balance:
            raise InsufficientFunds(f"Cannot withdraw {amount}: the balance is {self.balance}.")
        self.balance -= amount
        Action.objects.record(self, Action.Type.WITHDRAW, -amount, by)

    @transition(
        field=state,
        source=State.OPEN,
        target=State.FROZEN,
        permission="bank.freeze_account",
        custom={
            "label": "Freeze",
            "help_text": "Stop every deposit and withdrawal.",
            "confirm": True,
        },
    )
    def freeze(self) -> None:
        pass

    @transition(
        field=state,
        source=State.FROZEN,
        target=State.OPEN,
        permission="bank.freeze_account",
        custom={"label": "Unfreeze"},
    )
    def unfreeze(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.OPEN, State.FROZEN],
        target=State.CLOSED,
        conditions=[is_empty],
        permission="bank.close_account",
        custom={"label": "Close", "confirm": "Close this account for good?"},
    )
    def close(self) -> None:
        pass


class ActionManager(GuardedManager["Action"]):
    @operation
    def record(
        self, account: Account, type: str, delta: decimal.Decimal, by: Any, reference: str = ""
    ) -> Action:
        return self.create(
            account=account, type=type, delta=delta, actor=str(by or ""), reference=reference
        )


class Action(GuardedModel):
    """One movement of an account's balance: the log the article keeps beside it."""

    class Type(models.TextChoices):
        DEPOSIT = "deposit", "Deposit"
        WITHDRAW = "withdraw", "Withdraw"

    account = guarded(models.ForeignKey(Account, on_delete=models.PROTECT, related_name="actions"))
    created = models.DateTimeField(auto_now_add=True)
    type = guarded(models.CharField(max_length=10, choices=Type.choices))
    delta = guarded(models.DecimalField(max_digits=12, decimal_places=2))
    actor = guarded(models.CharField(max_length=150, blank=True))
    reference = guarded(models.CharField(max_length=100, blank=True))

    objects = ActionManager()

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.delta}"
