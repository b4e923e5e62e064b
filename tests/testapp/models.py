"""Models of the test suite, taken from the seed articles where they have one."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from django_guarded import (
    GET_STATE,
    RETURN_VALUE,
    FSMField,
    FSMIntegerField,
    FSMKeyField,
    GuardedManager,
    GuardedModel,
    GuardedQuerySet,
    guarded,
    operation,
    transition,
)

# -- "Django models, encapsulation and data integrity": the account signup ----------------

STATUS_CHOICES = [("trial", "Trial"), ("signedup", "Signed up"), ("expired", "Expired")]
TRIAL_DURATION = datetime.timedelta(days=30)


class AccountQuerySet(GuardedQuerySet["Account"]):
    @operation
    def expire_old_trials(self) -> int:
        cutoff = timezone.now() - TRIAL_DURATION
        return self.filter(status="trial", created__lte=cutoff).update(status="expired")


class AccountManager(GuardedManager["Account"]):
    @operation
    def create_trial(self, name: str = "") -> Account:
        return self.create(status="trial", name=name)

    @operation
    def create_signup(self, address: str, card_type: str) -> Account:
        account = Account(status="signedup", signup_date=timezone.now())
        account.save()
        BillingInfo.objects.create_for(account, address=address, card_type=card_type)
        return account

    def get_queryset(self) -> AccountQuerySet:
        return AccountQuerySet(self.model, using=self._db)

    @operation
    def expire_old_trials(self) -> int:
        return self.get_queryset().expire_old_trials()


class Account(GuardedModel):
    created = models.DateTimeField(default=timezone.now)
    status = FSMField(choices=STATUS_CHOICES, default="trial", max_length=10, db_index=True)
    signup_date = guarded(models.DateTimeField(null=True, blank=True))
    name = models.CharField(max_length=50, blank=True)

    objects = AccountManager()

    def __str__(self) -> str:
        return f"Account {self.pk} ({self.status})"

    @transition(field=status, source=["trial", "expired"], target="signedup")
    def signup(self, *, by: Any = None) -> None:
        self.signup_date = timezone.now()

    @transition(field=status, source="trial", target="expired")
    def expire(self) -> None:
        pass

    @operation
    def rename(self, name: str) -> None:
        self.name = name

    @operation(lock=True)
    def stamp(self, name: str | None = None) -> None:
        """Saves one field itself, as a method body may."""
        if name is not None:
            self.name = name
        self.signup_date = timezone.now()
        self.save(update_fields=["signup_date"])


class BillingInfoManager(GuardedManager["BillingInfo"]):
    @operation
    def create_for(self, account: Account, *, address: str, card_type: str) -> BillingInfo:
        return self.create(account=account, address=address, card_type=card_type)


class BillingInfo(GuardedModel):
    account = guarded(
        models.OneToOneField(Account, on_delete=models.CASCADE, related_name="billing_info")
    )
    address = models.TextField()
    card_type = models.CharField(max_length=20)

    objects = BillingInfoManager()


class Subscription(models.Model):
    """A plain model that cascades into a guarded one."""

    label = models.CharField(max_length=20)


class Seat(GuardedModel):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE)
    holder = guarded(models.CharField(max_length=20, default=""))

    objects = GuardedManager["Seat"]()

    @operation
    def reassign(self, holder: str) -> None:
        self.holder = holder


# -- "Managing state in Django models": the airport pickup ---------------------------------


class Pickup(GuardedModel):
    class State(models.TextChoices):
        REQUEST = "request"
        WAITING = "waiting"
        TO_AIRPORT = "to_airport"
        TO_HOTEL = "to_hotel"
        DROPPED_OFF = "dropped_off"
        FAILED = "failed"

    state = FSMField(choices=State.choices, default=State.REQUEST)
    driver = guarded(models.CharField(max_length=50, blank=True))
    notes = models.TextField(blank=True)

    objects = GuardedManager["Pickup"]()

    @transition(field=state, source=State.REQUEST, target=State.WAITING)
    def assign(self, driver: str) -> None:
        self.driver = driver

    @transition(field=state, source=[State.WAITING, State.TO_AIRPORT], target=State.REQUEST)
    def decline(self) -> None:
        self.driver = ""

    @transition(field=state, source=State.WAITING, target=State.TO_AIRPORT)
    def accept(self) -> None:
        pass

    @transition(field=state, source=State.TO_AIRPORT, target=State.TO_HOTEL)
    def picked_up(self) -> None:
        pass

    @transition(field=state, source=State.TO_HOTEL, target=State.DROPPED_OFF, on_error=State.FAILED)
    def dropped_off(self, *, crash: bool = False) -> None:
        self.notes = "dropped off"
        if crash:
            raise RuntimeError("the car broke down")

    @transition(field=state, source="*", target=RETURN_VALUE(State.REQUEST, State.FAILED))
    def reset(self, to: str) -> str:
        return to

    @transition(
        field=state,
        source="+",
        target=State.FAILED,
        custom={"label": "Give up", "help_text": "The pickup will not happen."},
    )
    def abandon(self) -> None:
        pass

    @transition(
        field=state,
        source=State.REQUEST,
        target=GET_STATE(
            lambda self, vip: "waiting" if vip else "request", states=["waiting", "request"]
        ),
    )
    def triage(self, vip: bool) -> None:
        pass


# -- The traffic light: an integer state --------------------------------------------------


class TrafficLight(GuardedModel):
    RED, GREEN, YELLOW = 0, 1, 2
    state = FSMIntegerField(
        default=RED, choices=[(RED, "stop"), (GREEN, "go"), (YELLOW, "caution")]
    )

    objects = GuardedManager["TrafficLight"]()

    @transition(field=state, source=RED, target=GREEN)
    @transition(field=state, source=GREEN, target=YELLOW)
    def advance_from_red_or_green(self) -> None:
        pass

    @transition(field=state, source=YELLOW, target=RED)
    def stop(self) -> None:
        pass


# -- A state held in its own table (FSMKeyField) ------------------------------------------


class DocumentState(models.Model):
    id = models.CharField(primary_key=True, max_length=20)
    label = models.CharField(max_length=50)


class Document(GuardedModel):
    state = FSMKeyField(DocumentState, default="draft", on_delete=models.PROTECT)
    title = models.CharField(max_length=50, default="")

    objects = GuardedManager["Document"]()

    @transition(field=state, source="draft", target="published")
    def publish(self) -> None:
        pass


# -- Inheritance and conditions -----------------------------------------------------------


def has_title(invoice: Invoice) -> bool:
    return bool(invoice.title)


class Invoice(GuardedModel):
    state = FSMField(
        default="new", choices=[("new", "New"), ("approved", "Approved"), ("paid", "Paid")]
    )
    title = models.CharField(max_length=50, blank=True)
    amount = guarded(models.DecimalField(max_digits=12, decimal_places=2, default=0))

    objects = GuardedManager["Invoice"]()

    @transition(
        field=state,
        source="new",
        target="approved",
        conditions=[has_title],
        permission="testapp.approve_invoice",
    )
    def approve(self, *, by: Any = None) -> None:
        pass

    @transition(field=state, source="approved", target="paid")
    def pay(self, amount: Any) -> None:
        self.amount = amount


class ForeignInvoice(Invoice):
    """Multi-table inheritance: the child's own field is guarded too."""

    currency = guarded(models.CharField(max_length=3, default="EUR"))

    objects = GuardedManager["ForeignInvoice"]()

    @operation
    def convert(self, currency: str) -> None:
        self.currency = currency
        self.amount = self.amount * 2

    @operation
    def discard(self) -> None:
        self.delete()


class ArchivedInvoice(Invoice):
    class Meta:
        proxy = True


# -- Plain models, for comparisons --------------------------------------------------------


class PlainAccount(models.Model):
    created = models.DateTimeField(default=timezone.now)
    status = models.CharField(choices=STATUS_CHOICES, default="trial", max_length=10)
    signup_date = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=50, blank=True)


# -- Permissions and the admin: an expense claim -------------------------------------------


def is_itemised(claim: Claim) -> bool:
    """List what the claim is for (its description) first."""
    return bool(claim.description)


def may_pay(claim: Claim, user: Any) -> bool:
    """Staff may pay a claim, but never their own."""
    return bool(user.is_staff) and claim.owner_id != user.pk


class Claim(GuardedModel):
    """An expense claim: draft -> submitted -> approved/rejected -> paid."""

    class State(models.TextChoices):
        DRAFT = "draft"
        SUBMITTED = "submitted"
        ESCALATED = "escalated"
        APPROVED = "approved"
        REJECTED = "rejected"
        PAID = "paid"

    state = FSMField(choices=State.choices, default=State.DRAFT, max_length=20)
    title = models.CharField(max_length=50, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    amount = guarded(models.DecimalField(max_digits=12, decimal_places=2, default=0))
    paid_amount = guarded(models.DecimalField(max_digits=12, decimal_places=2, default=0))
    reviewer_note = guarded(models.CharField(max_length=200, blank=True))

    objects = GuardedManager["Claim"]()

    class Meta:
        permissions = [
            ("submit_claim", "Can submit claim"),
            ("approve_claim", "Can approve claim"),
            ("reject_claim", "Can reject claim"),
            ("escalate_claim", "Can escalate claim"),
            ("reopen_claim", "Can reopen claim"),
        ]

    def __str__(self) -> str:
        return self.title or f"Claim {self.pk}"

    @transition(
        field=state,
        source=State.DRAFT,
        target=State.SUBMITTED,
        conditions=[is_itemised],
        permission="testapp.submit_claim",
        custom={"label": "Submit for review", "help_text": "Send the claim to a reviewer."},
    )
    def submit(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.SUBMITTED, State.ESCALATED],
        target=State.APPROVED,
        permission="testapp.approve_claim",
        custom={"label": "Approve", "help_text": "Accept the claim for payment."},
    )
    def approve(self, *, by: Any = None) -> None:
        self.reviewer_note = f"approved by {by}"

    @transition(
        field=state,
        source=[State.SUBMITTED, State.ESCALATED],
        target=State.REJECTED,
        permission="testapp.reject_claim",
        custom={"label": "Reject", "form": "tests.testapp.forms.RejectForm", "confirm": True},
    )
    def reject(self, reason: str) -> None:
        self.reviewer_note = reason

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.ESCALATED,
        permission="testapp.escalate_claim",
        custom={"label": "Escalate", "confirm": "Send this claim to the finance director?"},
    )
    def escalate(self) -> None:
        pass

    @transition(
        field=state,
        source=State.APPROVED,
        target=State.PAID,
        permission=may_pay,
        custom={"label": "Pay", "form": "tests.testapp.forms.PayForm"},
    )
    def pay(self, amount: Any) -> None:
        if amount > self.amount:
            raise ValidationError(f"Cannot pay {amount}: the claim is for {self.amount}.")
        self.paid_amount = amount

    @transition(
        field=state,
        source="*",
        target=State.DRAFT,
        permission="testapp.reopen_claim",
        custom={"admin": False},
    )
    def reopen(self) -> None:
        self.reviewer_note = ""

    @transition(field=state, source=State.DRAFT, target=State.DRAFT)
    def touch(self) -> None:
        """A transition without a permission: the admin asks for the change permission."""

    @operation
    def set_amount(self, amount: Any) -> None:
        self.amount = amount


# -- A ledger and its entries: permission to write one model never opens another ----------


class LedgerManager(GuardedManager["Ledger"]):
    @operation
    def open(self, name: str) -> Ledger:
        return self.create(name=name)


class Ledger(GuardedModel):
    name = models.CharField(max_length=50)

    objects = LedgerManager()

    @operation
    def close(self) -> None:
        self.delete()


class EntryManager(GuardedManager["Entry"]):
    @operation
    def book(self, ledger: Ledger, amount: Any) -> Entry:
        return self.create(ledger=ledger, amount=amount)


class Entry(GuardedModel):
    ledger = guarded(models.ForeignKey(Ledger, on_delete=models.CASCADE, related_name="entries"))
    amount = guarded(models.DecimalField(max_digits=12, decimal_places=2))

    objects = EntryManager()

    @operation
    def cancel(self) -> None:
        self.delete()


# -- django-fsm-2's state_choices: the instance's class follows its state ------------------


class TicketManager(GuardedManager["Ticket"]):
    @operation
    def file(self, title: str, state: str = "open") -> Ticket:
        return self.create(title=title, state=state)

    @operation
    def find(self, title: str) -> Ticket:
        """Returns an object it did not create."""
        return self.get(title=title)


class Ticket(GuardedModel):
    state = FSMField(
        default="open",
        state_choices=[
            ("open", "Open", "Ticket"),
            ("closed", "Closed", "testapp.ClosedTicket"),
        ],
    )
    title = models.CharField(max_length=50, blank=True)

    objects = TicketManager()

    @transition(field=state, source="open", target="closed")
    def close(self) -> None:
        pass

    @transition(field=state, source="closed", target="open")
    def reopen(self, *, fail: bool = False) -> None:
        if fail:
            raise RuntimeError("cannot reopen")


class ClosedTicket(Ticket):
    class Meta:
        proxy = True

    def summary(self) -> str:
        return f"closed: {self.title}"
