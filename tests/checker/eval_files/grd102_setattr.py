"""GRD102: setattr() on a guarded field."""

from shop.models import Account


def by_name(account: Account, field: str):
    setattr(account, "status", "signedup")  # error: GRD102
    setattr(account, "balance", 0)  # error: GRD102
    setattr(account, "name", "fine")
    setattr(account, field, "unknown name: not reported")
    setattr(object(), "status", 1)
