"""Manager and queryset classes of Account may write Account rows; others may not."""

from django_guarded import GuardedManager, GuardedQuerySet, operation

from shop.models import Account


class ArchiveQuerySet(GuardedQuerySet):
    """Not Account's queryset: its writes to Account are reported."""

    @operation
    def archive(self):
        Account.objects.filter(status="expired").delete()  # error: GRD402
        return self.update(archived=True)


class UnrelatedManager(GuardedManager):
    def make(self):
        return Account(name="x")  # error: GRD301

