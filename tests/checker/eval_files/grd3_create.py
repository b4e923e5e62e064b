"""GRD301-GRD303: creating rows of a guarded model outside its manager."""

import shop.models
from shop import models as shop_models
from shop.models import Account, LedgerEntry, Order


def create_rows(name):
    Account(name=name)  # error: GRD301
    shop_models.Account(name=name)  # error: GRD301
    shop.models.Account(name=name)  # error: GRD301
    Account.objects.create(name=name)  # error: GRD302
    Account.objects.get_or_create(name=name)  # error: GRD303
    Account.objects.update_or_create(name=name, defaults={})  # error: GRD303
    Account.objects.create_trial(name)
    Order.objects.create(note="plain model, fine")
    LedgerEntry.objects.record(None, 1)


def created_then_written(name):
    account, created = Account.objects.get_or_create(name=name)  # error: GRD303
    account.status = "trial"  # error: GRD101
    first = Account.objects.update_or_create(name=name)[0]  # error: GRD303
    first.save()  # error: GRD201


async def async_create(name):
    await Account.objects.acreate(name=name)  # error: GRD302
