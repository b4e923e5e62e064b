"""What listing the permitted transitions of a page of objects costs.

Run from the repository root: ``python bench/bench_permissions.py``. Uses the test
settings and models (``tests.settings``, ``tests.testapp``) in a throwaway test
database: SQLite in memory, unless ``DATABASE_URL`` names another database.

Compares, for one user and OBJECTS expense claims that each have three
permissioned transitions available (escalated claims: approve, reject, reopen):

* ``available_transitions(claims, user)`` (django_guarded.permissions), and
* django-fsm-2's ``claim.get_available_user_state_transitions(user)`` per claim,
  which asks django-guardian once per object and transition.

Every ratio compares two measurements of this same run. The exit status is 1 when
the bulk helper needs more than four queries.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OBJECTS = int(os.environ.get("BENCH_OBJECTS", "100"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
QUERY_BUDGET = 4


def configure() -> None:
    import django
    from django.conf import settings

    from tests import settings as test_settings

    # tests.settings reads DATABASE_URL itself: SQLite in memory when it is unset.
    values = {name: getattr(test_settings, name) for name in dir(test_settings) if name.isupper()}
    settings.configure(**values)
    django.setup()


def measure(func: Callable[[], Any]) -> tuple[int, float]:
    """Queries of one call, and the fastest of REPEAT timed calls (after a warm-up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    func()
    with CaptureQueriesContext(connection) as queries:
        func()
    times = []
    for _ in range(REPEAT):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return len(queries), min(times)


def main() -> int:
    configure()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, get_runner
    from guardian.shortcuts import assign_perm

    from django_guarded import unguarded
    from django_guarded.permissions import available_transitions
    from tests.testapp.models import Claim

    # The test runner's databases: a throwaway test database, migrated.
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        with unguarded():
            Claim.objects.bulk_create(
                [
                    Claim(title=f"c{i}", description="taxi", state="escalated")
                    for i in range(OBJECTS)
                ]
            )
        claims = list(Claim.objects.order_by("pk"))
        user = User.objects.create_user("reviewer")
        team = Group.objects.create(name="team")
        user.groups.add(team)
        assign_perm("testapp.approve_claim", user, claims[::2])
        assign_perm("testapp.reject_claim", team, claims[1::3])
        assign_perm("testapp.reopen_claim", user)

        def fresh_user() -> Any:
            # A new user object per call, as in a new request: no permission cache.
            return User.objects.get(pk=user.pk)

        reader = fresh_user()

        def bulk() -> Any:
            reader.__dict__.pop("_perm_cache", None)
            return available_transitions(claims, reader)

        def naive() -> Any:
            reader.__dict__.pop("_perm_cache", None)
            reader.__dict__.pop("_user_perm_cache", None)
            reader.__dict__.pop("_group_perm_cache", None)
            return {c: list(c.get_available_user_state_transitions(reader)) for c in claims}

        same = {c.pk: sorted(t.name for t in found) for c, found in bulk().items()} == {
            c.pk: sorted(t.name for t in found) for c, found in naive().items()
        }
        bulk_queries, bulk_time = measure(bulk)
        naive_queries, naive_time = measure(naive)
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as cold:
            bulk()
        cold_queries = len(cold)
        transitions = 3
        print(
            f"{OBJECTS} claims x {transitions} permissioned transitions, one user "
            f"({'same answers' if same else 'ANSWERS DIFFER'}), database: "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        )
        print()
        print(f"{'way':<46} {'queries':>8} {'time':>11}")
        print(
            f"{'available_transitions(claims, user)':<46} {bulk_queries:>8} "
            f"{bulk_time * 1000:>9.2f}ms"
        )
        print(
            f"{'get_available_user_state_transitions per claim':<46} {naive_queries:>8} "
            f"{naive_time * 1000:>9.2f}ms"
        )
        print(f"{'  the same, content types not cached yet':<46} {cold_queries:>8}")
        print(
            f"{'ratio (naive / bulk)':<46} {naive_queries / max(bulk_queries, 1):>7.0f}x "
            f"{naive_time / bulk_time:>9.1f}x"
        )
        print()
        met = max(bulk_queries, cold_queries) <= QUERY_BUDGET
        print(
            f"Budget of <= {QUERY_BUDGET} queries for the bulk helper: "
            f"{'met' if met else 'NOT met'} ({bulk_queries} warm, {cold_queries} cold)."
        )
        return 0 if met and same else 1
    finally:
        runner.teardown_databases(old_config)


if __name__ == "__main__":
    sys.exit(main())
