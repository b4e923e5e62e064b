from django.db import models
from django.utils import timezone

from django_guarded import FSMField, GuardedModel, guarded, operation, transition

from .managers import AccountManager, LedgerManager, ProxyQuerySet


class Account(GuardedModel):
    status = FSMField(default="trial")
    signup_date = guarded(models.DateTimeField(null=True))
    balance = guarded(models.DecimalField(max_digits=12, decimal_places=2, default=0))
    owner = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=50)

    objects = AccountManager()

    @transition(field=status, source=["trial", "expired"], target="signedup")
    def signup(self, *, by=None):
        self.signup_date = timezone.now()

    @transition(field=status, source="signedup", target="expired")
    def expire(self):
        pass

    @operation
    def credit(self, amount):
        self.balance += amount
        self.save()

    def rename_everything(self, other: "Account"):
        # inside the model's own class: allowed, even on another instance
        other.status = "trial"
        other.save()


class Order(models.Model):
    account = models.ForeignKey(Account, related_name="orders", on_delete=models.CASCADE)
    note = models.TextField(blank=True)

    def settle(self):
        # Order is not Account: writing the account's guarded field is reported
        self.account.balance = 0  # error: GRD101
        self.note = "settled"


class LedgerEntry(GuardedModel):
    account = guarded(models.ForeignKey(Account, on_delete=models.PROTECT))
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    objects = LedgerManager()


class Tag(models.Model):
    label = models.CharField(max_length=20)
    accounts = models.ManyToManyField(Account, related_name="tags")


class Report:
    """Not a model: a same-named ``status`` attribute here is nobody's business."""

    status = "draft"


class AccountProxy(Account):
    objects = ProxyQuerySet.as_manager()

    class Meta:
        proxy = True
