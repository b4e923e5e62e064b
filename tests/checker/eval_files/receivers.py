"""How receivers are resolved: the cases the checker follows, and a few it must not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from django.db.models import QuerySet
from django.views.generic import View

from shop.models import Account, LedgerEntry, Order

if TYPE_CHECKING:
    from collections.abc import Iterable


def parameters(a: Account, b: Optional[Account], c: Account | None, d: "Account", e: int):
    a.save()  # error: GRD201
    b.save()  # error: GRD201
    c.save()  # error: GRD201
    d.save()  # error: GRD201
    e.save()


def containers(accounts: list[Account], qs: QuerySet[Account], kind: type[Account], many: Iterable[Account]):
    for account in accounts:
        account.status = "x"  # error: GRD101
    qs.update(name="")  # error: GRD401
    kind(name="x")  # error: GRD301
    accounts[0].save()  # error: GRD201
    for i, account in enumerate(qs):
        account.delete()  # error: GRD202
    [acc.save() for acc in many]  # error: GRD201
    {acc.pk: acc.delete() for acc in Account.objects.all()}  # error: GRD202


def loops_and_iterators():
    for account in Account.objects.filter(status="trial").iterator():
        account.status = "expired"  # error: GRD101
    for row in Account.objects.values("pk"):
        row.update(status="x")
    for account in sorted(Account.objects.all(), key=str):
        account.save()  # error: GRD201
    accounts = list(Account.objects.all())
    accounts[0].delete()  # error: GRD202


def relations(order: Order, entry: LedgerEntry, account: Account):
    order.account.save()  # error: GRD201
    order.account.status = "trial"  # error: GRD101
    entry.account.delete()  # error: GRD202
    account.orders.all().delete()  # plain model Order: fine
    account.ledgerentry_set.update(amount=0)  # error: GRD401
    Order.objects.select_related("account").first().account.save()  # error: GRD201


def reassigned(pk, form):
    account = Account.objects.get(pk=pk)
    account = form.save(commit=False)
    account.save()


def branches(pk, form, flag):
    if flag:
        account = Account.objects.get(pk=pk)
    else:
        account = form.instance
    account.save()
    if flag:
        other = Account.objects.get(pk=pk)
    else:
        other = Account.objects.first()
    other.save()  # error: GRD201


def try_except(pk):
    try:
        account = Account.objects.get(pk=pk)
    except Account.DoesNotExist:
        raise LookupError(pk) from None
    account.save()  # error: GRD201


def walrus(pk):
    if (account := Account.objects.filter(pk=pk).first()) is not None:
        account.delete()  # error: GRD202


class AccountView(View):
    account: Account

    def get(self, request, pk):
        self.account.status = "x"  # error: GRD101
        self.helper.save()
        self.order.account.save()  # error: GRD201

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.order = Order.objects.get(pk=kwargs["pk"])
        self.helper = kwargs.get("helper")


class Ambiguous:
    def one(self):
        self.target = Account.objects.get(pk=1)

    def two(self, form):
        self.target = form.instance

    def three(self):
        self.target.save()


def nested_closure(pk):
    account = Account.objects.get(pk=pk)

    def inner():
        account.save()  # error: GRD201

    return inner


def lambdas(pk):
    account = Account.objects.get(pk=pk)
    return lambda account: account.save()
