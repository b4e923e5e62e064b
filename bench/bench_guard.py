"""What the guard costs: loading rows, reading and writing fields, one transition.

Run from the repository root: ``python bench/bench_guard.py``. Uses a SQLite file
in a temporary folder unless ``DATABASE_URL`` names another database. Every
ratio compares two measurements taken in this same run.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import table  # noqa: E402 - bench/table.py, found through the path just set

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
TRANSITIONS = int(os.environ.get("BENCH_TRANSITIONS", "4000"))


def configure() -> None:
    import django
    from django.conf import settings

    from tests.settings import database_from_url

    url = os.environ.get("DATABASE_URL")
    database = (
        database_from_url(url)
        if url
        else {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(tempfile.mkdtemp()) / "bench.sqlite3"),
        }
    )
    settings.configure(
        DATABASES={"default": database},
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django_guarded",
            "guardbench",
        ],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()


def best(func: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` timed calls, after one warm-up call."""
    func()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def per_call(statement: Callable[[], object], number: int = 200_000, repeat: int = 7) -> float:
    return min(timeit.repeat(statement, number=number, repeat=repeat)) / number


def main() -> int:
    configure()
    from django.core.management import call_command
    from django.db import connection, transaction
    from guardbench.models import FsmRow, GuardedRow, PlainRow

    from django_guarded import unguarded
    from django_guarded._core import permission

    call_command("migrate", run_syncdb=True, verbosity=0)
    rows = [
        dict(status="a", balance=i, name=f"name {i}", email=f"user{i}@example.com", score=i / 3)
        for i in range(ROWS)
    ]
    for model in (PlainRow, GuardedRow, FsmRow):
        model.objects.all()._raw_delete(connection.alias)
        with unguarded(), transaction.atomic():
            model.objects.bulk_create([model(**row) for row in rows], batch_size=5000)

    results: list[tuple[str, str, float, float, str, bool | None]] = []

    # -- loading ------------------------------------------------------------------------
    load = {
        model: best(lambda m=model: list(m.objects.all()), repeat=3)
        for model in (PlainRow, GuardedRow, FsmRow)
    }
    ratio = load[GuardedRow] / load[PlainRow]
    results.append(
        (
            f"load {ROWS:,} rows, list(qs)",
            "plain model",
            load[PlainRow],
            load[GuardedRow],
            "<= 1.10x",
            ratio <= 1.10,
        )
    )
    results.append(
        (
            f"load {ROWS:,} rows (django-fsm-2 protected)",
            "plain model",
            load[PlainRow],
            load[FsmRow],
            "reported",
            None,
        )
    )

    # -- reading a field ----------------------------------------------------------------
    guarded_row = GuardedRow.objects.first()
    plain_row = PlainRow.objects.first()
    fsm_row = FsmRow.objects.first()
    assert guarded_row is not None
    assert plain_row is not None
    assert fsm_row is not None
    read_plain = per_call(lambda: plain_row.status)
    read_guarded = per_call(lambda: guarded_row.status)
    read_fsm = per_call(lambda: fsm_row.status)
    results.append(
        (
            "read a state field",
            "plain field",
            read_plain,
            read_guarded,
            "<= 1.20x",
            read_guarded / read_plain <= 1.20,
        )
    )
    results.append(
        (
            "read a state field (django-fsm-2 protected)",
            "plain field",
            read_plain,
            read_fsm,
            "reported",
            None,
        )
    )

    # -- writing a guarded field inside an operation -------------------------------------
    with permission.enter(permission.Permission(GuardedRow, owner=guarded_row)):
        write_guarded = per_call(lambda: setattr(guarded_row, "balance", 5))
    write_plain = per_call(lambda: setattr(plain_row, "balance", 5))
    results.append(
        (
            "assign a guarded field inside an operation",
            "plain model",
            write_plain,
            write_guarded,
            "<= 1 us",
            write_guarded <= 1e-6,
        )
    )

    # -- one transition -----------------------------------------------------------------
    # Short batches of each, interleaved, and the fastest batch of each kept: other
    # work on the machine slows some batches down, never speeds one up.
    target = GuardedRow.objects.get(pk=guarded_row.pk)
    plain_target = PlainRow.objects.get(pk=plain_row.pk)
    batch = 50

    def transitions() -> None:
        for _ in range(batch):
            target.flip()
            target.flop()

    def hand_written() -> None:
        for _ in range(batch):
            plain_target.status = "b"
            plain_target.save(update_fields=["status"])
            plain_target.status = "a"
            plain_target.save(update_fields=["status"])

    hand_times, our_times = [], []
    for _ in range(max(1, TRANSITIONS // (2 * batch))):
        hand_times.append(best(hand_written, repeat=1))
        our_times.append(best(transitions, repeat=1))
    hand = min(hand_times) / (2 * batch)
    ours = min(our_times) / (2 * batch)
    results.append(
        (
            "one transition (UPDATE of changed columns)",
            "obj.status=...; save(update_fields)",
            hand,
            ours,
            "<= 1.15x",
            ours / hand <= 1.15,
        )
    )

    print(f"database: {connection.vendor}, rows: {ROWS:,}, transitions: {TRANSITIONS:,}")
    table.print_table(
        [
            table.row(
                name, baseline_name, _fmt(base), _fmt(value), f"{value / base:.2f}x", target, met
            )
            for name, baseline_name, base, value, target, met in results
        ]
    )
    return 0


def _fmt(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-4:
        return f"{seconds * 1e3:.3f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.1f} ns"


if __name__ == "__main__":
    sys.exit(main())
