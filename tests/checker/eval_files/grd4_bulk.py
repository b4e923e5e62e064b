"""GRD401-GRD404: bulk writes on a guarded model's queryset or manager."""

from shop.models import Account, LedgerEntry, Order


def bulk(accounts):
    Account.objects.filter(status="trial").update(status="expired")  # error: GRD401
    Account.objects.all().delete()  # error: GRD402
    Account.objects.bulk_create(accounts)  # error: GRD403
    Account.objects.bulk_update(accounts, ["name"])  # error: GRD404
    Account.objects.expire_all()
    qs = Account.objects.exclude(status="expired").order_by("pk")
    qs.update(name="x")  # error: GRD401
    qs[:10].delete()  # error: GRD402
    Order.objects.filter(note="").update(note="plain, fine")
    LedgerEntry.objects.filter(amount=0).delete()  # error: GRD402


def unknown_queryset_methods():
    # custom queryset methods have unknown return types: not followed
    Account.objects.active().update(name="x")


def dict_update(data: dict):
    data.update({"status": "x"})
    {}.update(status=1)


async def async_bulk():
    await Account.objects.filter(pk=1).aupdate(name="x")  # error: GRD401
