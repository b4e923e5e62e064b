"""Assignments to guarded fields, as django_guarded.mypy_plugin judges them.

Checked by tests/typing/test_mypy_plugin.py, not run. A line ending in
``# E: <code>`` must get exactly that error from mypy; every other line, none.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from django_guarded import (
    FSMField,
    GuardedManager,
    GuardedModel,
    GuardedQuerySet,
    guarded,
    operation,
    transition,
    unguarded,
)
from tests.bank.models import Account as BankAccount
from tests.testapp.models import Account, Document

# -- Inside the model's own code: no error ---------------------------------------------------


class TicketQuerySet(GuardedQuerySet["Ticket"]):
    @operation
    def close_all(self) -> None:
        for ticket in self:
            ticket.state = "closed"


class TicketManager(GuardedManager["Ticket"]):
    @operation
    def open(self, title: str, price: Decimal) -> Ticket:
        ticket = Ticket(title=title)
        ticket.price = price
        ticket.save()
        return ticket


class BaseTicket(GuardedModel):
    price = guarded(models.DecimalField(max_digits=5, decimal_places=2, default=0))

    class Meta:
        abstract = True

    def _discount(self, percent: int) -> None:
        # A helper of an abstract base: the model's own code too.
        self.price = self.price * (100 - percent) / 100


class Ticket(BaseTicket):
    state = FSMField(default="open", choices=[("open", "Open"), ("closed", "Closed")])
    title = models.CharField(max_length=20)

    objects = TicketManager()

    class Meta:
        app_label = "testapp"

    @transition(field=state, source="open", target="closed")
    def close(self) -> None:
        self.price = Decimal(0)

    @operation
    def reprice(self, price: Decimal) -> None:
        def apply() -> None:
            self.price = price

        apply()

    @classmethod
    def copy_of(cls, other: Ticket) -> Ticket:
        ticket = cls(title=other.title)
        ticket.state = other.state
        return ticket


class VipTicket(Ticket):
    class Meta:
        app_label = "testapp"

    @operation
    def upgrade(self, plain: Ticket) -> None:
        plain.price = Decimal(100)  # a model related by inheritance: its own code


def set_up_a_test(ticket: Ticket) -> None:
    ticket.title = "not guarded"
    with unguarded():
        ticket.state = "closed"
        ticket.price = Decimal(1)


@unguarded()
def data_fix(ticket: Ticket) -> None:
    ticket.state = "open"


with unguarded():
    Ticket().state = "closed"


# -- Outside: errors ------------------------------------------------------------------------


def close_by_hand(ticket: Ticket, vip: VipTicket) -> None:
    ticket.state = "closed"  # E: guarded-field
    ticket.price = Decimal(0)  # E: guarded-field
    ticket.price += 1  # E: guarded-field
    vip.state = "closed"  # E: guarded-field
    ticket.state, ticket.title = "closed", "x"  # E: guarded-field


def after_the_block(ticket: Ticket) -> None:
    with unguarded():
        pass
    ticket.state = "closed"  # E: guarded-field


class Report:
    def fix(self, account: Account, document: Document, bank: BankAccount) -> None:
        account.status = "expired"  # E: guarded-field
        account.signup_date = None  # E: guarded-field
        document.state_id = "published"  # E: guarded-field
        bank.balance = Decimal(0)  # E: guarded-field


class OtherModel(GuardedModel):
    class Meta:
        app_label = "testapp"

    @operation
    def meddle(self, ticket: Ticket) -> None:
        ticket.state = "closed"  # E: guarded-field


class OtherManager(GuardedManager["OtherModel"]):
    @operation
    def meddle(self, ticket: Ticket) -> None:
        ticket.price = Decimal(0)  # E: guarded-field


def deliberately(ticket: Ticket) -> None:
    ticket.state = "closed"  # type: ignore[guarded-field]


def typed_any(ticket: Any) -> None:
    ticket.state = "closed"  # not known to be a Ticket: not checked


Ticket().state = "closed"  # E: guarded-field
