"""Real races: eight connections deposit and withdraw on the same accounts at once.

Each worker is a thread with its own database connection, started together on a
barrier, running 200 random deposits and withdrawals on four shared accounts
whose limits and the bank's cap are small enough to be hit often. Afterwards the
seed article's promises must hold: no negative balance, none over its limit,
the total within the cap, every balance equal to the sum of its recorded deltas,
one record per successful call, and no lost update. The same workload written
the naive way (read, check, save, no lock) breaks them, which shows that these
checks can fail.

SQLite serialises writers on the whole database, so these tests need PostgreSQL
or MariaDB.
"""

from __future__ import annotations

import collections
import decimal
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, close_old_connections, connection

from django_guarded import ConcurrentTransition, retrying, unguarded
from django_guarded._audit.verify import verify
from django_guarded.models import AuditRecord
from tests.bank import errors
from tests.bank.models import Account, Bank, OptimisticAccount

pytestmark = [pytest.mark.server_db, pytest.mark.django_db(transaction=True)]

D = decimal.Decimal
WORKERS = 8
CALLS = 200
ACCOUNTS = 4
LIMIT = D("500.00")
CAP = D("1200.00")  # less than four full accounts: the cap is reached often
START = D("100.00")


@dataclass
class Outcome:
    """What the workers saw: money moved per account by successful calls, and refusals."""

    moved: collections.Counter[int] = field(default_factory=collections.Counter)
    succeeded: int = 0
    refused: collections.Counter[str] = field(default_factory=collections.Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def open_accounts(model: Any) -> tuple[Bank, list[int]]:
    bank = Bank.objects.found(f"race-{model.__name__}", cap=CAP)
    pks = []
    for number in range(ACCOUNTS):
        user = get_user_model().objects.create(username=f"{model.__name__}-{number}")
        account = model.objects.open(user, bank=bank, limit=LIMIT)
        account.deposit(START)
        pks.append(account.pk)
    return bank, pks


def run_workers(
    work: Callable[[random.Random, Outcome, dict[int, Any]], None], load: Any
) -> Outcome:
    """Run ``work`` in WORKERS threads at once, each with its own connection."""
    outcome = Outcome()
    barrier = threading.Barrier(WORKERS)

    def thread(seed: int) -> None:
        try:
            # Each worker loads the accounts once: its copies go stale at once,
            # as a form's or an API client's would.
            accounts = load()
            barrier.wait()
            work(random.Random(seed), outcome, accounts)
        except Exception as exc:  # pragma: no cover - reported by the test
            with outcome.lock:
                outcome.unexpected.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(seed,)) for seed in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()
    return outcome


def guarded_work(optimistic: bool) -> Callable[[random.Random, Outcome, dict[int, Any]], None]:
    def work(rng: random.Random, outcome: Outcome, accounts: dict[int, Any]) -> None:
        for _ in range(CALLS):
            pk = rng.choice(list(accounts))
            account = accounts[pk]
            amount = D(rng.randint(1, 200))
            kind = rng.choice(["deposit", "withdraw"])
            method = getattr(account, kind)
            call = retrying(method, attempts=100, backoff=0.002) if optimistic else method
            try:
                call(amount, comment=f"{kind} {amount}")
            except errors.Error as exc:
                with outcome.lock:
                    outcome.refused[type(exc).__name__] += 1
            except ConcurrentTransition:
                with outcome.lock:
                    outcome.refused["ConcurrentTransition"] += 1
            else:
                with outcome.lock:
                    outcome.moved[pk] += amount if kind == "deposit" else -amount
                    outcome.succeeded += 1

    return work


def naive_work(rng: random.Random, outcome: Outcome, accounts: dict[int, Any]) -> None:
    """The seed's naive implementation: read, check, save; no lock, no transaction."""
    for _ in range(CALLS):
        pk = rng.choice(list(accounts))
        amount = D(rng.randint(1, 200))
        delta = amount if rng.random() < 0.5 else -amount
        with unguarded():
            account = Account.objects.get(pk=pk)
            bank = Bank.objects.get(pk=account.bank_id)
            balance = account.balance + delta
            if balance < 0 or balance > account.limit or bank.total + delta > bank.cap:
                with outcome.lock:
                    outcome.refused["checks"] += 1
                continue
            account.balance = balance
            try:
                account.save(update_fields=["balance"])
                bank.total += delta
                bank.save(update_fields=["total"])
            except DatabaseError as exc:  # a CHECK constraint caught a lost update
                with outcome.lock:
                    outcome.refused[type(exc).__name__] += 1
                continue
        with outcome.lock:
            outcome.moved[pk] += delta
            outcome.succeeded += 1


def broken_promises(model: Any, bank: Bank, pks: list[int], outcome: Outcome) -> list[str]:
    """Every promise of the seed article that the stored data breaks."""
    broken = []
    bank.refresh_from_db()
    accounts = {a.pk: a for a in model.objects.filter(pk__in=pks)}
    balances = sum(a.balance for a in accounts.values())
    for pk, account in accounts.items():
        if account.balance < 0:
            broken.append(f"account {pk} is negative: {account.balance}")
        if account.balance > account.limit:
            broken.append(f"account {pk} is over its limit: {account.balance}")
        expected = START + outcome.moved[pk]
        if account.balance != expected:
            broken.append(
                f"lost update on account {pk}: the successful calls moved it to {expected}, "
                f"it holds {account.balance}"
            )
    if bank.total != balances:
        broken.append(f"the bank's total {bank.total} is not the sum of the balances {balances}")
    if balances > bank.cap:
        broken.append(f"the balances add up to {balances}, over the cap {bank.cap}")
    return broken


def broken_trail(model: Any, pks: list[int], outcome: Outcome) -> list[str]:
    broken = []
    label = model._meta.label_lower
    moves = AuditRecord.objects.filter(
        model=label, method__in=["deposit", "withdraw"], object_pk__in=[str(pk) for pk in pks]
    )
    # The opening deposits are records too.
    if moves.count() != outcome.succeeded + ACCOUNTS:
        broken.append(f"{moves.count()} records for {outcome.succeeded + ACCOUNTS} calls")
    for account in model.objects.filter(pk__in=pks):
        deltas = sum((D(r.data["delta"]) for r in moves.filter(object_pk=str(account.pk))), D(0))
        if deltas != account.balance:
            broken.append(f"account {account.pk}: deltas {deltas} != balance {account.balance}")
    broken += [str(problem) for problem in verify("default", [label]).problems]
    return broken


def load_all(model: Any, pks: list[int]) -> Callable[[], dict[int, Any]]:
    return lambda: {a.pk: a for a in model.objects.filter(pk__in=pks)}


@pytest.mark.parametrize(
    ("model", "optimistic"),
    [(Account, False), (OptimisticAccount, True)],
    ids=["pessimistic", "optimistic"],
)
def test_concurrent_calls_keep_every_promise(model: Any, optimistic: bool) -> None:
    bank, pks = open_accounts(model)
    outcome = run_workers(guarded_work(optimistic), load_all(model, pks))
    assert outcome.unexpected == []
    assert broken_promises(model, bank, pks, outcome) == []
    assert broken_trail(model, pks, outcome) == []
    # The run did press against every rule, and most calls went through.
    assert outcome.refused["ExceedsTotalCap"] > 0
    assert outcome.refused["InsufficientFunds"] > 0
    assert outcome.succeeded > WORKERS * CALLS // 2
    if optimistic:
        assert outcome.refused["ConcurrentTransition"] == 0  # retrying absorbed every lost race


def test_the_same_workload_without_locking_loses_money() -> None:
    bank, pks = open_accounts(Account)
    outcome = run_workers(naive_work, load_all(Account, pks))
    assert outcome.unexpected == []
    broken = broken_promises(Account, bank, pks, outcome)
    # Without locks, calls overwrite each other's balances: these checks catch it.
    assert any(problem.startswith("lost update") for problem in broken), broken
