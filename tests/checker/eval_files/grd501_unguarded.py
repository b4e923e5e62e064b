"""GRD501: unguarded() outside tests, migrations and management commands."""

import django_guarded
from django_guarded import unguarded
from django_guarded import unguarded as switch_off

from shop.models import Account


def repair(pk):
    with unguarded():  # error: GRD501
        account = Account.objects.get(pk=pk)
        account.status = "trial"  # inside unguarded(): the write itself is not reported
        account.save()
    with switch_off():  # error: GRD501
        Account.objects.all().delete()
    with django_guarded.unguarded():  # error: GRD501
        Account(name="x").save()
    account = Account.objects.get(pk=pk)
    account.save()  # error: GRD201


@unguarded()  # error: GRD501
def decorated(account: Account):
    account.status = "trial"


@unguarded  # error: GRD501
def bare_decorator(account: Account):
    account.delete()


def unguarded_is_a_local_name():
    def unguarded():
        return None

    unguarded()
