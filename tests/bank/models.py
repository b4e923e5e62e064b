"""The bank account of "Bullet Proofing Django Models", written with django-guarded.

The business rules of the article, and where each one is kept:

- one account per user, not every user has one: ``Account.user`` is a one-to-one;
- deposits and withdrawals up to ``MAX_AMOUNT`` each: checked by the methods;
- a balance is never negative and never above the account's limit: checked by
  the methods, on the locked row, and by database constraints;
- the total of all balances never exceeds the bank's cap: :class:`Bank` keeps the
  total in one row that every deposit and withdrawal locks and updates, with a
  database constraint ``total <= cap`` behind it;
- a record of every action, that nobody can edit: django-guarded's audit trail
  (each record's ``data["delta"]`` is the money moved); ``guarded_verify``
  replays it and checks the balances against the deltas.

``Account`` locks its row (pessimistic: ``@operation(lock=True)``).
``OptimisticAccount`` is the same account with a version column instead: a lost
race raises ``ConcurrentTransition`` and the caller retries
(``django_guarded.retrying``).
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from django_guarded import (
    FSMField,
    GuardedManager,
    GuardedModel,
    VersionField,
    guarded,
    operation,
    transition,
)
from tests.bank.errors import (
    AccountNotActive,
    ExceedsLimit,
    ExceedsTotalCap,
    InsufficientFunds,
    InvalidAmount,
)

if TYPE_CHECKING:
    from django_guarded.models import AuditRecord

Decimal = decimal.Decimal

#: The most one deposit or withdrawal may move.
MAX_AMOUNT = Decimal("10000.00")
ZERO = Decimal("0.00")


def _money(max_digits: int = 12, **kwargs: Any) -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=max_digits, decimal_places=2, **kwargs)


def _checked_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise InvalidAmount(
            f"amount must be a Decimal, got {amount!r}: write Decimal({str(amount)!r})"
        )
    if not ZERO < amount <= MAX_AMOUNT:
        raise InvalidAmount(f"amount must be more than 0 and at most {MAX_AMOUNT}, got {amount}")
    return amount


# -- The invariant across accounts ---------------------------------------------------------


# --8<-- [start:bank]
class BankManager(GuardedManager["Bank"]):
    @operation
    def found(self, name: str, *, cap: Decimal) -> Bank:
        """Create a bank whose accounts may hold ``cap`` in total."""
        return self.create(name=name, cap=cap)


class Bank(GuardedModel):
    """The one row that holds the total of all balances, so that the cap can be kept.

    Every deposit and withdrawal calls :meth:`move` inside its own transaction:
    the ``SELECT ... FOR UPDATE`` of this row serialises the changes of the total
    (two deposits into two different accounts cannot both see room under the cap),
    and the database constraint ``total <= cap`` stands behind the check.
    """

    name = models.CharField(max_length=50, unique=True)
    total = guarded(_money(14, default=ZERO))
    cap = guarded(_money(14))

    objects = BankManager()

    # The accounts' records carry every delta already.
    guarded_audit: ClassVar[bool] = False

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(total__lte=F("cap")), name="bank_total_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.total} of {self.cap})"

    @operation(lock=True)
    def move(self, delta: Decimal) -> None:
        """Add ``delta`` (negative for a withdrawal) to the total of all balances."""
        total = self.total + delta
        if total > self.cap:
            raise ExceedsTotalCap(
                f"{self.name} holds {self.total} of its cap {self.cap}: "
                f"a deposit of {delta} does not fit"
            )
        self.total = total


# --8<-- [end:bank]

# -- The account ---------------------------------------------------------------------------


# --8<-- [start:account]
def _deposit_data(account: BaseAccount, amount: Decimal, **kwargs: Any) -> dict[str, Any]:
    return {"delta": amount, "comment": kwargs.get("comment", "")}


def _withdrawal_data(account: BaseAccount, amount: Decimal, **kwargs: Any) -> dict[str, Any]:
    return {"delta": -amount, "comment": kwargs.get("comment", "")}


def _is_empty(account: BaseAccount) -> bool:
    return account.balance == 0


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen"
    CLOSED = "closed", "Closed"


class AccountManager(GuardedManager[Any]):
    @operation
    def open(
        self,
        user: Any,
        *,
        bank: Bank,
        limit: Decimal,
        asof: datetime.datetime | None = None,
    ) -> Any:
        """Open an empty account for ``user``, who may have only one."""
        account = self.model(user=user, bank=bank, limit=limit, created=asof, modified=asof)
        account.save()
        return account


class BaseAccount(GuardedModel):
    """What both accounts share: the fields, the rules, the consistency check."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="%(class)s"
    )
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="%(class)ss")
    status = FSMField(choices=Status.choices, default=Status.ACTIVE, max_length=10)
    balance = guarded(_money(default=ZERO))
    limit = guarded(_money())
    created = guarded(models.DateTimeField())
    modified = guarded(models.DateTimeField())

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) & Q(balance__lte=F("limit")),
                name="%(class)s_balance_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.uid} ({self.status}, {self.balance})"

    def _add(self, delta: Decimal, asof: datetime.datetime | None) -> None:
        """Move ``delta`` in (or out, if negative): the checks and the writes of both."""
        # django-guarded passes the clock's time to ``asof`` when the caller gives none.
        assert asof is not None
        if self.status != Status.ACTIVE:
            raise AccountNotActive(f"account {self.uid} is {self.status}: unfreeze it first")
        balance = self.balance + delta
        if balance < 0:
            raise InsufficientFunds(
                f"account {self.uid} holds {self.balance}: cannot withdraw {-delta}"
            )
        if balance > self.limit:
            raise ExceedsLimit(
                f"account {self.uid} holds {self.balance} of its limit {self.limit}: "
                f"cannot deposit {delta}"
            )
        self.balance = balance
        self.modified = asof
        # Save the account before the bank: for OptimisticAccount this is the
        # conditional UPDATE, so a stale copy fails before it touches the bank's total;
        # for both, the account's row is locked before the bank's, the one order every
        # call takes, so that two calls never wait for each other in a circle.
        self.save(update_fields=["balance", "modified"])
        self.bank.move(delta)

    def verify_audit_trail(self, records: Sequence[AuditRecord]) -> list[str]:
        """The seed's consistency check: the recorded deltas add up to the balance."""
        total = sum((Decimal(str(r.data.get("delta", "0"))) for r in records), ZERO)
        if total != self.balance:
            return [f"balance is {self.balance} but the recorded deltas add up to {total}"]
        return []


class Account(BaseAccount):
    """A bank account whose methods lock its row: they always see the current balance."""

    objects = AccountManager()

    class Meta(BaseAccount.Meta):
        permissions = [("freeze_account", "Can freeze and unfreeze accounts")]

    @operation(lock=True, audit=_deposit_data)
    def deposit(
        self,
        amount: Decimal,
        *,
        asof: datetime.datetime | None = None,
        by: Any = None,
        comment: str = "",
    ) -> None:
        """Put ``amount`` into the account."""
        self._add(_checked_amount(amount), asof)

    @operation(lock=True, audit=_withdrawal_data)
    def withdraw(
        self,
        amount: Decimal,
        *,
        asof: datetime.datetime | None = None,
        by: Any = None,
        comment: str = "",
    ) -> None:
        """Take ``amount`` out of the account."""
        self._add(-_checked_amount(amount), asof)

    @transition(
        field="status",
        source=Status.ACTIVE,
        target=Status.FROZEN,
        permission="bank.freeze_account",
        lock=True,
    )
    def freeze(self, *, by: Any = None) -> None:
        """Stop all movements (support staff, with the ``bank.freeze_account`` permission)."""

    @transition(
        field="status",
        source=Status.FROZEN,
        target=Status.ACTIVE,
        permission="bank.freeze_account",
        lock=True,
    )
    def unfreeze(self, *, by: Any = None) -> None:
        """Allow movements again."""

    @transition(
        field="status",
        source=[Status.ACTIVE, Status.FROZEN],
        target=Status.CLOSED,
        conditions=[_is_empty],
        lock=True,
    )
    def close(self, *, asof: datetime.datetime | None = None) -> None:
        """Close an empty account for good."""
        self.modified = asof


class OptimisticAccount(BaseAccount):
    """The same account with optimistic locking: a version column instead of row locks.

    A method works on the values the caller loaded; the UPDATE that saves it only
    matches if the version is still the loaded one. A lost race raises
    ``ConcurrentTransition`` and writes nothing: call it through
    ``django_guarded.retrying(account.deposit)(...)``.
    """

    version = VersionField()

    objects = AccountManager()

    class Meta(BaseAccount.Meta):
        pass

    @operation(audit=_deposit_data)
    def deposit(
        self,
        amount: Decimal,
        *,
        asof: datetime.datetime | None = None,
        by: Any = None,
        comment: str = "",
    ) -> None:
        """Put ``amount`` into the account."""
        self._add(_checked_amount(amount), asof)

    @operation(audit=_withdrawal_data)
    def withdraw(
        self,
        amount: Decimal,
        *,
        asof: datetime.datetime | None = None,
        by: Any = None,
        comment: str = "",
    ) -> None:
        """Take ``amount`` out of the account."""
        self._add(-_checked_amount(amount), asof)


# --8<-- [end:account]

# -- Cards: UUID keys, several sources, bulk transitions ------------------------------------


class CardManager(GuardedManager["Card"]):
    @operation
    def issue(self, account: Account, *, expires: datetime.date) -> Card:
        """Issue a new card for ``account``; it must be activated before use."""
        return self.create(account=account, expires=expires)

    @operation
    def expire_due(self, today: datetime.date) -> int:
        """Expire, in one statement, every card whose date has passed (a nightly job)."""
        return self.filter(expires__lt=today).bulk_transition("expire")


class Card(GuardedModel):
    """A payment card, keyed by a UUID, whose state changes optimistically.

    ``guarded_optimistic = True`` without a version column: a transition's UPDATE is
    conditional on the state the card was loaded with, so of two clerks blocking
    and activating the same card at once, one gets ``ConcurrentTransition``.
    """

    class State(models.TextChoices):
        ISSUED = "issued", "Issued"
        ACTIVE = "active", "Active"
        BLOCKED = "blocked", "Blocked"
        EXPIRED = "expired", "Expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="cards")
    state = FSMField(choices=State.choices, default=State.ISSUED, max_length=10)
    expires = models.DateField()

    objects = CardManager()

    guarded_optimistic: ClassVar[bool] = True

    def __str__(self) -> str:
        return f"Card {self.id} ({self.state})"

    @transition(field=state, source=State.ISSUED, target=State.ACTIVE)
    def activate(self) -> None:
        """Make an issued card usable."""

    @transition(field=state, source="+", target=State.BLOCKED)
    def block(self, *, by: Any = None) -> None:
        """Block the card, whatever its state (lost, stolen, fraud)."""

    @transition(
        field=state, source=[State.ISSUED, State.ACTIVE, State.BLOCKED], target=State.EXPIRED
    )
    def expire(self) -> None:
        """The card's date has passed."""
