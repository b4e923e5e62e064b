"""Bulk transitions and locked operations, each beside the code one would write by hand.

Run from the repository root: ``python bench/bench_concurrency.py``. Uses a SQLite
file in a temporary folder unless ``DATABASE_URL`` names another database, in
which case a database ``<name>_bench`` is created (and dropped afterwards) beside
it. Every ratio compares two measurements taken in this same run.

1. Bulk transition of ``BENCH_ROWS`` rows (default 100,000) with their audit
   records, against a bare ``qs.update(status=...)`` (target: at most 2x), and
   against calling the transition on each object (target: at least 50x faster;
   the per-object time is measured on ``BENCH_SAMPLE`` rows and scaled up).
2. Locked operations under contention: ``BENCH_WORKERS`` processes (default 8),
   each with its own connection, on one hot row for ``BENCH_SECONDS`` each, against
   hand-written ``select_for_update()`` + ``save()`` loops doing the same work
   (target: at least 0.8x the throughput): the transition of a model without an
   audit trail against the bare loop, and the audited transition against the loop
   that also inserts the record. The audited transition against the bare loop is
   reported too: that ratio is the price of the record, which any code keeping an
   audit trail pays. SQLite has no row locks: skipped there.

Every part runs ``BENCH_ROUNDS`` rounds (default 5). Before each timing the
database is settled (`settle()`), so that cleaning up after the previous round
(VACUUM and checkpoints on PostgreSQL, InnoDB's purge on MariaDB) does not land in
it. The bulk rows take the fastest round of each side; the contention rows give
the median of the rounds' rates, and as ratio the median of the ratios of the two
sides run back to back in the same round (each round's ratios are printed too).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import table  # noqa: E402 - bench/table.py, found through the path just set

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "2000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))

Row = tuple[str, str, float, float, str, str, "bool | None"]


def configure() -> str:
    """Point Django at a database of its own and migrate it; return the old name."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django
    from django.conf import settings

    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "concurrencybench"]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database["TEST"] = {"NAME": str(Path(tempfile.mkdtemp()) / "bench.sqlite3")}
    else:
        database["TEST"] = {**database.get("TEST", {}), "NAME": f"{database['NAME']}_bench"}
    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return str(old_name)


def best(func: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` timed calls: other work on the machine only slows one down."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def purge_trail() -> None:
    from django.db import connection

    from django_guarded import allow_audit_purge

    with allow_audit_purge(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_guarded_auditrecord")


def settle(*models: Any) -> None:
    """Let the database finish cleaning up after earlier writes before the next timing.

    PostgreSQL: VACUUM the tables of ``models`` and the audit table, then write the
    dirty pages out (CHECKPOINT, which needs a superuser or the pg_checkpoint role), so
    no checkpoint starts during the timing. MariaDB: wait for InnoDB's purge thread to
    remove the old row versions earlier writes left (needs the SUPER privilege).
    Without the privilege the timings are only noisier.
    """
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in (*(m._meta.db_table for m in models), "django_guarded_auditrecord"):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
            try:
                cursor.execute("CHECKPOINT")
            except DatabaseError as error:
                print(f"  (cannot run CHECKPOINT: {error})", flush=True)
        elif connection.vendor == "mysql" and connection.mysql_is_mariadb:
            try:
                cursor.execute("SET GLOBAL innodb_max_purge_lag_wait = 0")
            except DatabaseError as error:
                print(f"  (cannot wait for InnoDB purge: {error})", flush=True)


# -- 1. bulk transition ---------------------------------------------------------------------


def bench_bulk() -> list[Row]:
    from django.db import connection, transaction

    from django_guarded import unguarded
    from django_guarded.models import AuditRecord
    from tests.testapp.models import Account

    with unguarded(), transaction.atomic():
        Account.objects.all()._raw_delete(connection.alias)
        Account.objects.bulk_create(
            [Account(status="trial", name=f"a{i}") for i in range(ROWS)], batch_size=5000
        )

    def reset() -> None:
        with unguarded():
            Account.objects.update(status="trial")
        purge_trail()
        settle(Account)

    def bare_update() -> None:
        with unguarded(), transaction.atomic():
            moved = Account.objects.filter(status="trial").update(status="expired")
        assert moved == ROWS, moved

    def bulk_transition() -> None:
        # Its own transaction, like the update above.
        moved = Account.objects.filter(status="trial").bulk_transition("expire")
        assert moved == ROWS, moved

    def per_object() -> None:
        for account in Account.objects.filter(status="trial")[:SAMPLE]:
            account.expire()

    update_times, bulk_times, object_times = [], [], []
    for _ in range(ROUNDS):
        reset()
        update_times.append(best(bare_update, 1))
        reset()
        bulk_times.append(best(bulk_transition, 1))
        assert AuditRecord.objects.count() == ROWS
        reset()
        object_times.append(best(per_object, 1) * ROWS / SAMPLE)
    reset()
    update, bulk, objects = min(update_times), min(bulk_times), min(object_times)
    return [
        (
            f"bulk transition of {ROWS:,} rows + {ROWS:,} records",
            "qs.update(status=...)",
            update,
            bulk,
            f"{bulk / update:.2f}x",
            "<= 2x",
            bulk / update <= 2,
        ),
        (
            f"bulk transition of {ROWS:,} rows + {ROWS:,} records",
            f"obj.expire() per row (x{ROWS // SAMPLE} of {SAMPLE:,})",
            objects,
            bulk,
            f"{objects / bulk:.0f}x faster",
            ">= 50x faster",
            objects / bulk >= 50,
        ),
    ]


# -- 2. locked operations under contention --------------------------------------------------


def throughput(work: Callable[[], None], setup: Callable[[], Any] | None = None) -> float:
    """Calls per second of ``work`` run by WORKERS processes at once for SECONDS.

    Processes, as a production server's workers would be, each with its own
    connection: threads would also queue on Python's interpreter lock, and measure
    that instead of the database's row lock.
    """
    from django.db import connections

    context = multiprocessing.get_context("fork")
    counts = context.Array("q", WORKERS)
    failures = context.Queue()
    ready = context.Barrier(WORKERS + 1)
    stop = context.Event()

    def worker(index: int) -> None:
        try:
            if setup is not None:
                setup()
            ready.wait()
            done = 0
            while not stop.is_set():
                work()
                done += 1
            counts[index] = done
        except BaseException as exc:  # pragma: no cover - reported below
            failures.put(f"{type(exc).__name__}: {exc}")
            ready.abort()
        finally:
            connections.close_all()

    connections.close_all()  # a forked child must not share the parent's connection
    processes = [context.Process(target=worker, args=(i,)) for i in range(WORKERS)]
    for process in processes:
        process.start()
    ready.wait()
    start = time.perf_counter()
    time.sleep(SECONDS)
    stop.set()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - start
    if not failures.empty():
        raise RuntimeError(f"a worker failed: {failures.get()}")
    return sum(counts) / elapsed


def bench_contention() -> list[Row]:
    from concurrencybench.models import PlainSwitch, QuietSwitch, Switch
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from django_guarded import unguarded
    from django_guarded.models import AuditRecord
    from tests.bank.models import Account, Bank

    switch = _create(Switch)
    plain = PlainSwitch.objects.create()
    user = get_user_model().objects.create(username="hot")
    bank = Bank.objects.found("hot", cap=Decimal("1e11"))
    hot = Account.objects.open(user, bank=bank, limit=Decimal("1e9"))
    one = Decimal("1.00")
    local = types.SimpleNamespace()  # each worker process fills its own copy

    def load() -> None:
        local.switch = Switch.objects.get(pk=switch.pk)
        local.quiet = QuietSwitch.objects.get(pk=switch.pk)
        local.account = Account.objects.get(pk=hot.pk)

    # (a) A locked transition on one hot row, which writes its audit record.
    def guarded_flip() -> None:
        local.switch.flip()

    def quiet_flip() -> None:
        local.quiet.flip()

    def hand_flip(record: bool) -> Callable[[], None]:
        def flip() -> None:
            with transaction.atomic():
                row = PlainSwitch.objects.select_for_update().get(pk=plain.pk)
                source = row.state
                row.state = "on" if source == "off" else "off"
                row.flips += 1
                row.save(update_fields=["state", "flips"])
                if record:
                    with unguarded():
                        AuditRecord.objects.create(
                            created_at=timezone.now(),
                            model="concurrencybench.plainswitch",
                            object_pk=str(row.pk),
                            kind="transition",
                            method="flip",
                            field="state",
                            source=source,
                            target=row.state,
                        )

        return flip

    # (b) The bank account's deposit: lock the account, update it, lock and update the
    # bank's total, write the audit record.
    def guarded_deposit() -> None:
        local.account.deposit(one, comment="bench")

    def hand_deposit() -> None:
        with unguarded(), transaction.atomic():
            account = Account.objects.select_for_update().get(pk=hot.pk)
            account.balance += one
            account.modified = now = timezone.now()
            account.save(update_fields=["balance", "modified"])
            row = Bank.objects.select_for_update().get(pk=account.bank_id)
            row.total += one
            row.save(update_fields=["total"])
            AuditRecord.objects.create(
                created_at=now,
                model="bank.account",
                object_pk=str(account.pk),
                kind="operation",
                method="deposit",
                data={"delta": one, "comment": "bench"},
            )

    # Each pair that is compared runs back to back, and every other round runs in the
    # opposite order, so that the machine getting slower or faster during a round does
    # not favour one side; the ratio reported is the median of the rounds' ratios.
    runs: dict[str, Callable[[], None]] = {
        "hand flip": hand_flip(record=False),
        "guarded flip, no record": quiet_flip,
        "hand flip + record": hand_flip(record=True),
        "guarded flip": guarded_flip,
        "hand deposit": hand_deposit,
        "guarded deposit": guarded_deposit,
    }
    measured: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(ROUNDS):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        for name in order:
            settle(Switch, PlainSwitch, Account, Bank)
            measured[name].append(throughput(runs[name], load))
    hot.refresh_from_db()
    assert hot.verify_audit_trail(list(hot.audit_trail())) == [], "the trail does not add up"
    switch.refresh_from_db()
    # Every recorded flip happened (the quiet ones have no record).
    assert 0 < switch.audit_trail().count() < switch.flips
    rate = {name: statistics.median(values) for name, values in measured.items()}
    title = f"locked transition + record, {WORKERS} workers, 1 hot row"
    deposit = f"bank deposit (2 locked rows + record), {WORKERS} workers"
    rows: list[Row] = []
    quiet = f"locked transition, no record, {WORKERS} workers, 1 hot row"
    # The target compares equal work: the transition with its record against the loop
    # writing the same record, and without a record against the loop without one. What
    # the record itself costs is reported beside them.
    for name, base_name, base, ours, target in (
        (quiet, "select_for_update() + save()", "hand flip", "guarded flip, no record", 0.8),
        (title, "the same + a record, by hand", "hand flip + record", "guarded flip", 0.8),
        (title, "select_for_update() + save()", "hand flip", "guarded flip", None),
        (deposit, "the same statements, by hand", "hand deposit", "guarded deposit", None),
    ):
        ratios = [o / b for o, b in zip(measured[ours], measured[base], strict=True)]
        ratio = statistics.median(ratios)
        print(f"  {ours} / {base}, each round: " + ", ".join(f"{r:.2f}" for r in ratios))
        rows.append(
            (
                name,
                base_name,
                rate[base],
                rate[ours],
                f"{ratio:.2f}x",
                f">= {target}x" if target else "reported",
                ratio >= target if target else None,
            )
        )
    return rows


def _create(model: Any) -> Any:
    from django_guarded import unguarded

    with unguarded():
        return model.objects.create()


def main() -> int:
    old_name = configure()
    from django.db import connection

    try:
        print(
            f"database: {connection.vendor} ({connection.settings_dict['NAME']}), rows: {ROWS:,}, "
            f"workers: {WORKERS}, {SECONDS:g} s per contention run, best/median of {ROUNDS}",
            flush=True,
        )
        rows = bench_bulk()
        _progress(rows)
        if connection.vendor == "sqlite":
            print("contention: skipped, SQLite locks the whole database, not rows")
        else:
            more = bench_contention()
            _progress(more)
            rows += more
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    lines = []
    for name, base_name, base, value, ratio, target, met in rows:
        unit = _fmt_rate if "workers" in name else _fmt_time
        lines.append(table.row(name, base_name, unit(base), unit(value), ratio, target, met))
    table.print_table(lines)
    return 0


def _progress(rows: list[Row]) -> None:
    for name, base_name, base, value, ratio, *_ in rows:
        print(f"  {name}: {value:.4g} against {base_name}: {base:.4g} ({ratio})", flush=True)


def _fmt_time(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 0.1 else f"{seconds * 1e3:.1f} ms"


def _fmt_rate(per_second: float) -> str:
    return f"{per_second:,.0f} calls/s"


if __name__ == "__main__":
    sys.exit(main())
