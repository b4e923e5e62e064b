"""The account signup of "Django models, encapsulation and data integrity".

An account starts as a trial or signed up; a trial expires after 30 days; a trial
or expired account may sign up at any time, and signing up always records the
date together with the status, and the billing details beside them.

The ``--8<--`` comments mark the parts that docs/tutorial/signup.md includes.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone

from django_guarded import (
    SYSTEM,
    FSMField,
    GuardedManager,
    GuardedModel,
    GuardedQuerySet,
    guarded,
    operation,
    transition,
)

TRIAL_DURATION = datetime.timedelta(days=30)


# --8<-- [start:manager]
class AccountQuerySet(GuardedQuerySet["Account"]):
    @operation
    def expire_old_trials(self) -> int:
        """Expire the trials of this queryset older than 30 days: the article's nightly job.

        One bulk transition of expire(): one UPDATE of the rows whose status is a
        source of it, and one INSERT of their audit records.
        """
        cutoff = timezone.now() - TRIAL_DURATION
        return self.filter(created__lte=cutoff).bulk_transition("expire", by=SYSTEM)


class AccountManager(GuardedManager.from_queryset(AccountQuerySet)):  # type: ignore[misc]
    @operation
    def create_trial(self, email: str, *, created: datetime.datetime | None = None) -> Account:
        return self.create(email=email, status="trial", created=created or timezone.now())

    @operation
    def create_signup(self, email: str, *, address: str, card_type: str) -> Account:
        account = self.create(email=email, status="signedup", signup_date=timezone.now())
        BillingInfo.objects.create_for(account, address=address, card_type=card_type)
        return account


# --8<-- [end:manager]


# --8<-- [start:account]
class Account(GuardedModel):
    STATUS_CHOICES = [("trial", "Trial"), ("signedup", "Signed up"), ("expired", "Expired")]

    email = models.EmailField(unique=True)
    created = guarded(models.DateTimeField(default=timezone.now))
    status = FSMField(choices=STATUS_CHOICES, default="trial", max_length=10, db_index=True)
    signup_date = guarded(models.DateTimeField(null=True, blank=True))

    objects = AccountManager()

    class Meta:
        verbose_name = "account"
        permissions = [
            ("signup_account", "Can sign up account"),
            ("expire_account", "Can expire account"),
        ]

    def __str__(self) -> str:
        return self.email

    @transition(
        field=status,
        source=["trial", "expired"],
        target="signedup",
        permission="signup.signup_account",
        custom={
            "label": "Sign up",
            "help_text": "Take the billing details and end the trial.",
            "form": "demo.signup.admin.SignupForm",
        },
    )
    def signup(self, *, address: str, card_type: str) -> None:
        self.signup_date = timezone.now()
        BillingInfo.objects.create_for(self, address=address, card_type=card_type)

    @transition(
        field=status,
        source="trial",
        target="expired",
        permission="signup.expire_account",
        custom={"label": "Expire", "help_text": "End a trial that is over."},
    )
    def expire(self) -> None:
        pass


# --8<-- [end:account]


# --8<-- [start:billing]
class BillingInfoManager(GuardedManager["BillingInfo"]):
    @operation
    def create_for(self, account: Account, *, address: str, card_type: str) -> BillingInfo:
        return self.update_or_create(
            account=account, defaults={"address": address, "card_type": card_type}
        )[0]


class BillingInfo(GuardedModel):
    account = guarded(
        models.OneToOneField(Account, on_delete=models.PROTECT, related_name="billing_info")
    )
    address = guarded(models.TextField())
    card_type = guarded(models.CharField(max_length=20))

    objects = BillingInfoManager()

    def __str__(self) -> str:
        return f"{self.card_type}, {self.address}"


# --8<-- [end:billing]
