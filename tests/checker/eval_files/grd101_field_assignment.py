"""GRD101: assigning a guarded field from outside the model."""

from decimal import Decimal

from crm.models import Account as CrmAccount
from shop.models import Account, Report


def signup_by_hand(pk):
    account = Account.objects.get(pk=pk)
    account.status = "signedup"  # error: GRD101
    account.signup_date = None  # error: GRD101
    account.balance += Decimal("1")  # error: GRD101
    account.name = "renamed"  # not guarded, not strict: fine
    account.signup()


def tuple_targets(account: Account, other: Account):
    account.status, other.status = "a", "b"  # error: GRD101, GRD101
    [account.balance, x] = [0, 1]  # error: GRD101
    for account.name in ["a"]:  # plain field: fine
        pass
    return x


def annotated(account: Account) -> None:
    account.balance: Decimal = Decimal("0")  # error: GRD101


def chained(pk):
    Account.objects.get(pk=pk).status = "expired"  # error: GRD101


def not_models(report: Report, crm_account: CrmAccount, thing):
    report.status = "final"
    crm_account.status = "closed"
    thing.status = "whatever"
    CrmAccount("x").status = "y"


def foreign_key_ids(entry_pk):
    from shop.models import LedgerEntry

    entry = LedgerEntry.objects.get(pk=entry_pk)
    entry.account_id = 3  # error: GRD101
    entry.amount = 1  # plain field of a guarded model: fine


def noqa_silences(account: Account):
    account.status = "x"  # noqa: GRD101
    account.status = "y"  # noqa
    account.status = "z"  # noqa: GRD2  # error: GRD101
