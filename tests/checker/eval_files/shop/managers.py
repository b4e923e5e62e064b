from django.db import models

from django_guarded import GuardedManager, GuardedQuerySet, operation


class AccountQuerySet(GuardedQuerySet):
    @operation
    def expire_all(self):
        return self.update(status="expired")

    def active(self):
        return self.filter(status="signedup")


class AccountManager(GuardedManager.from_queryset(AccountQuerySet)):
    @operation
    def create_trial(self, name):
        account = self.model(name=name)
        account.save()
        return account


class LedgerManager(models.Manager):
    def record(self, account, amount):
        return self.create(account=account, amount=amount)


class ProxyQuerySet(GuardedQuerySet):
    """The queryset of a proxy of Account writes Account's own table: allowed."""

    @operation
    def purge(self):
        from shop.models import Account

        return Account.objects.filter(pk__in=self.values("pk")).delete()
