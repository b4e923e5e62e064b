from django_guarded import unguarded

from shop.models import Account


def make_account(**kwargs):
    with unguarded():
        account = Account(**kwargs)
        account.save()
    account.status = "signedup"
    account.save()
    return account
