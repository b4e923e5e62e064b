"""Transition permissions: enforced on the call, and listed in bulk for one user."""

from __future__ import annotations

import decimal
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm

from django_guarded import (
    SYSTEM,
    GuardedError,
    TransitionNotAllowed,
    TransitionPermissionDenied,
    has_transition_perm,
    unguarded,
)
from django_guarded.permissions import (
    TransitionChecker,
    available_transitions,
    transitions_from_state,
)
from tests.testapp.models import Claim, Invoice, Pickup

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PERMISSIONED_FROM_SUBMITTED = ["approve", "escalate", "reject"]


@pytest.fixture
def approve_invoice() -> Permission:
    # Invoice names its permission without declaring it in Meta.permissions.
    permission, _ = Permission.objects.get_or_create(
        codename="approve_invoice",
        content_type=ContentType.objects.get_for_model(Invoice),
        defaults={"name": "Can approve invoice"},
    )
    return permission


def make_user(username: str, *perms: str, **flags: Any) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username, password="pw", **flags)
    for perm in perms:
        assign_perm(perm, user)
    return user


def make_invoice(title: str = "paper") -> Invoice:
    with unguarded():
        return Invoice.objects.create(title=title)


def make_claims(count: int, state: str = "submitted", **fields: Any) -> list[Claim]:
    with unguarded():
        Claim.objects.bulk_create(
            [
                Claim(title=f"claim {i}", description="taxi", state=state, **fields)
                for i in range(count)
            ]
        )
    return list(Claim.objects.order_by("pk"))


def stored_state(obj: Any) -> str:
    return str(type(obj).objects.get(pk=obj.pk).state)


# -- Enforced on the call -----------------------------------------------------------------


def test_missing_permission_raises_a_guarded_permission_denied(approve_invoice: Permission) -> None:
    clerk = make_user("clerk")
    invoice = make_invoice()
    with pytest.raises(TransitionPermissionDenied) as caught:
        invoice.approve(by=clerk)
    assert isinstance(caught.value, GuardedError)
    assert isinstance(caught.value, PermissionDenied)
    assert "clerk may not run Invoice.approve()" in str(caught.value)
    assert "'testapp.approve_invoice'" in str(caught.value)
    assert invoice.state == "new"
    assert stored_state(invoice) == "new"


def test_a_call_without_an_actor_is_refused_not_waved_through(approve_invoice: Permission) -> None:
    invoice = make_invoice()
    with pytest.raises(TransitionPermissionDenied, match=r"pass the acting user as by=user"):
        invoice.approve()
    assert stored_state(invoice) == "new"


def test_the_system_actor_is_the_explicit_bypass(approve_invoice: Permission) -> None:
    invoice = make_invoice()
    invoice.approve(by=SYSTEM)
    assert stored_state(invoice) == "approved"


def test_an_object_permission_grants_that_object_only(approve_invoice: Permission) -> None:
    clerk = make_user("clerk")
    mine, other = make_invoice("mine"), make_invoice("other")
    assign_perm("testapp.approve_invoice", clerk, mine)
    mine.approve(by=clerk)
    assert stored_state(mine) == "approved"
    with pytest.raises(TransitionPermissionDenied):
        other.approve(by=clerk)
    assert stored_state(other) == "new"


def test_a_global_permission_grants_every_object(approve_invoice: Permission) -> None:
    manager = make_user("manager", "testapp.approve_invoice")
    first, second = make_invoice(), make_invoice()
    first.approve(by=manager)
    second.approve(by=manager)
    assert [stored_state(first), stored_state(second)] == ["approved", "approved"]


def test_group_permissions_count_object_and_global(approve_invoice: Permission) -> None:
    reviewers, managers = (
        Group.objects.create(name="reviewers"),
        Group.objects.create(name="managers"),
    )
    one, two = make_invoice(), make_invoice()
    assign_perm("testapp.approve_invoice", reviewers, one)
    assign_perm("testapp.approve_invoice", managers)
    reviewer, manager = make_user("reviewer"), make_user("manager")
    reviewer.groups.add(reviewers)
    manager.groups.add(managers)
    with pytest.raises(TransitionPermissionDenied):
        two.approve(by=reviewer)
    one.approve(by=reviewer)
    two.approve(by=manager)
    assert [stored_state(one), stored_state(two)] == ["approved", "approved"]


def test_superusers_may_inactive_users_may_not(approve_invoice: Permission) -> None:
    root = make_user("root", is_superuser=True)
    retired = make_user("retired", "testapp.approve_invoice", is_superuser=True, is_active=False)
    invoice = make_invoice()
    with pytest.raises(TransitionPermissionDenied):
        invoice.approve(by=retired)
    invoice.approve(by=root)
    assert stored_state(invoice) == "approved"


def test_a_callable_permission_decides_alone() -> None:
    owner = make_user("owner", is_staff=True)
    cashier = make_user("cashier", is_staff=True)
    [claim] = make_claims(1, state="approved", owner=owner, amount=decimal.Decimal("10"))
    with pytest.raises(TransitionPermissionDenied):
        claim.pay(decimal.Decimal("10"), by=owner)
    assert stored_state(claim) == "approved"
    claim.pay(decimal.Decimal("10"), by=cashier)
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.state, stored.paid_amount) == ("paid", decimal.Decimal("10"))


def test_a_refused_callable_permission_is_described_by_its_docstring() -> None:
    owner = make_user("owner", is_staff=True)
    [claim] = make_claims(1, state="approved", owner=owner, amount=decimal.Decimal("10"))
    with pytest.raises(TransitionPermissionDenied) as caught:
        claim.pay(decimal.Decimal("10"), by=owner)
    assert str(caught.value) == (
        f"owner may not run Claim.pay() on Claim pk={claim.pk!r}: it needs the permission "
        "check may_pay() (Staff may pay a claim, but never their own)."
    )


def test_a_refused_transition_does_not_run_its_body() -> None:
    clerk = make_user("clerk")
    [claim] = make_claims(1)
    with pytest.raises(TransitionPermissionDenied):
        claim.approve(by=clerk)
    assert claim.reviewer_note == ""
    assert Claim.objects.get(pk=claim.pk).reviewer_note == ""


def test_unavailability_is_reported_before_permission() -> None:
    clerk = make_user("clerk")
    [claim] = make_claims(1, state="draft")
    with pytest.raises(TransitionNotAllowed):
        claim.approve(by=clerk)


def test_the_method_receives_the_actor_when_it_asks_for_it() -> None:
    boss = make_user("boss", "testapp.approve_claim")
    [claim] = make_claims(1)
    claim.approve(by=boss)
    assert Claim.objects.get(pk=claim.pk).reviewer_note == "approved by boss"


# -- One user, many objects ---------------------------------------------------------------


def _naive(objects: list[Claim], user: Any) -> dict[int, list[str]]:
    return {
        obj.pk: sorted(t.name for t in obj.get_available_user_state_transitions(user))
        for obj in objects
    }


def _bulk(objects: list[Claim], user: Any) -> dict[int, list[str]]:
    return {
        obj.pk: sorted(t.name for t in found)
        for obj, found in available_transitions(objects, user).items()
    }


def test_bulk_answer_matches_django_fsm_for_every_kind_of_user() -> None:
    states = ["draft", "submitted", "escalated", "approved", "rejected", "paid"]
    with unguarded():
        for state in states:
            Claim.objects.create(title=state, description="taxi", state=state)
            Claim.objects.create(title=f"{state} empty", state=state)
    claims = list(Claim.objects.order_by("pk"))
    team = Group.objects.create(name="team")
    assign_perm("testapp.reject_claim", team, claims[2])
    assign_perm("testapp.submit_claim", team)
    users = [
        make_user("nobody"),
        make_user("global", "testapp.approve_claim", "testapp.reopen_claim"),
        make_user("object"),
        make_user("grouped"),
        make_user("staff", is_staff=True),
        make_user("root", is_superuser=True),
        make_user("inactive", "testapp.approve_claim", is_active=False),
    ]
    for claim in claims[1:5]:
        assign_perm("testapp.escalate_claim", users[2], claim)
        assign_perm("testapp.approve_claim", users[2], claim)
    users[3].groups.add(team)
    for user in users:
        assert _bulk(claims, user) == _naive(claims, user), user.username
    # The answers are not all empty: the comparison has something to compare.
    assert "approve" in _bulk(claims, users[2])[claims[2].pk]
    assert "pay" in _bulk(claims, users[4])[claims[6].pk]


def test_bulk_listing_costs_a_constant_number_of_queries(django_assert_num_queries: Any) -> None:
    user = make_user("reviewer")
    claims = make_claims(100)
    for claim in claims[::2]:
        assign_perm("testapp.approve_claim", user, claim)
    team = Group.objects.create(name="team")
    user.groups.add(team)
    assign_perm("testapp.reject_claim", team, claims[1])
    assign_perm("testapp.escalate_claim", user)
    ContentType.objects.get_for_model(Claim)  # the content type cache is warm in a real process
    # One for the global permissions, two for guardian's user and group object permissions.
    with django_assert_num_queries(3):
        result = available_transitions(claims, user)
    assert sorted(t.name for t in result[claims[0]]) == ["approve", "escalate"]
    assert sorted(t.name for t in result[claims[1]]) == ["escalate", "reject"]
    assert all(
        set(t.name for t in found) <= set(PERMISSIONED_FROM_SUBMITTED) for found in result.values()
    )
    ContentType.objects.clear_cache()
    with django_assert_num_queries(4):
        available_transitions(claims, user)


def test_the_naive_way_costs_queries_per_object(django_assert_max_num_queries: Any) -> None:
    user = make_user("reviewer")
    claims = make_claims(10)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as naive:
        _naive(claims, user)
    with CaptureQueriesContext(connection) as bulk:
        _bulk(claims, user)
    assert len(naive) >= 10 * len(PERMISSIONED_FROM_SUBMITTED)
    assert len(bulk) <= 3


def test_a_superuser_listing_needs_no_query(django_assert_num_queries: Any) -> None:
    root = make_user("root", is_superuser=True)
    claims = make_claims(20)
    with django_assert_num_queries(0):
        result = available_transitions(claims, root)
    expected = [*PERMISSIONED_FROM_SUBMITTED, "reopen"]
    assert all(sorted(t.name for t in found) == expected for found in result.values())


def test_objects_without_permissioned_transitions_need_no_query(
    django_assert_num_queries: Any,
) -> None:
    user = make_user("nobody")
    with unguarded():
        pickups = [Pickup.objects.create() for _ in range(5)]
    with django_assert_num_queries(0):
        result = available_transitions(pickups, user)
    expected = {t.name for t in pickups[0].get_available_state_transitions()}
    assert "assign" in expected
    assert all({t.name for t in found} == expected for found in result.values())


def test_a_queryset_costs_one_more_query(django_assert_num_queries: Any) -> None:
    user = make_user("reviewer", "testapp.approve_claim")
    make_claims(30)
    ContentType.objects.get_for_model(Claim)
    with django_assert_num_queries(4):
        result = available_transitions(Claim.objects.all(), user)
    assert len(result) == 30


def test_without_guardian_backend_only_global_permissions_count(
    settings: Any, django_assert_num_queries: Any
) -> None:
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    user = make_user("reviewer", "testapp.reject_claim")
    claims = make_claims(10)
    assign_perm("testapp.approve_claim", user, claims[0])
    with django_assert_num_queries(1):
        result = available_transitions(claims, user)
    assert [t.name for t in result[claims[0]]] == ["reject"]
    assert _bulk(claims, user) == _naive(claims, user)


class GrantsEscalationOnOddClaims:
    """A backend of the project's own: asked for each object, as Django would."""

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        return perm == "testapp.escalate_claim" and obj is not None and obj.pk % 2 == 1


class RefusesRejections:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        if perm == "testapp.reject_claim":
            raise PermissionDenied
        return False


def test_other_backends_are_asked_in_order(settings: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        f"{__name__}.RefusesRejections",
        "django.contrib.auth.backends.ModelBackend",
        "guardian.backends.ObjectPermissionBackend",
        f"{__name__}.GrantsEscalationOnOddClaims",
    ]
    user = make_user("reviewer", "testapp.reject_claim", "testapp.approve_claim")
    claims = make_claims(4)
    bulk = _bulk(claims, user)
    assert bulk == _naive(claims, user)
    assert {pk: names for pk, names in bulk.items()} == {
        claim.pk: (["approve", "escalate"] if claim.pk % 2 else ["approve"]) for claim in claims
    }


def test_checker_answers_single_objects_and_django_fsm_agrees() -> None:
    user = make_user("reviewer")
    claims = make_claims(2)
    assign_perm("testapp.approve_claim", user, claims[1])
    checker = TransitionChecker(user)  # nothing prefetched: answered on demand
    approve = {t.name: t for t, _ in transitions_from_state(claims[1])}["approve"]
    assert checker.has_perm(approve, claims[1]) is True
    assert checker.has_perm(approve, claims[0]) is False
    assert has_transition_perm(claims[1].approve, user) is True
    assert has_transition_perm(claims[0].approve, user) is False
    assert checker.object_permissions(claims[1]) == {"approve_claim"}


def test_unmet_conditions_are_reported_not_hidden() -> None:
    [claim] = make_claims(1, state="draft")
    with unguarded():
        Claim.objects.filter(pk=claim.pk).update(description="")
    claim.refresh_from_db()
    found = {t.name: [c.__name__ for c in unmet] for t, unmet in transitions_from_state(claim)}
    assert found["submit"] == ["is_itemised"]
    assert found["touch"] == []
    with pytest.raises(ValueError, match="Claim has no state field 'status'"):
        list(transitions_from_state(claim, "status"))


# -- Imports ------------------------------------------------------------------------------


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_the_package_imports_neither_guardian_nor_the_admin() -> None:
    result = _run_python(
        """
        import sys
        import django_guarded
        loaded = [name for name in ("guardian", "django.contrib.admin", "django_guarded.admin",
                  "django_guarded.permissions") if name in sys.modules]
        print(loaded)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_permissions_work_without_guardian_installed() -> None:
    result = _run_python(
        """
        import sys
        sys.modules["guardian"] = None  # as if it were not installed: importing it fails
        import django
        from django.conf import settings
        from tests import settings as base

        settings.configure(
            **{name: getattr(base, name) for name in dir(base) if name.isupper()}
            | {
                "INSTALLED_APPS": [a for a in base.INSTALLED_APPS if a != "guardian"],
                "AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"],
                "DATABASES": {
                    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
                },
            }
        )
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from django.contrib.auth.models import Permission, User
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django_guarded import TransitionPermissionDenied, unguarded
        from django_guarded.permissions import available_transitions
        from tests.testapp.models import Claim

        with unguarded():
            claims = [Claim.objects.create(state="submitted") for _ in range(5)]
        user = User.objects.create_user("reviewer")
        user.user_permissions.add(Permission.objects.get(codename="approve_claim"))
        with CaptureQueriesContext(connection) as queries:
            result = available_transitions(claims, user)
        query_count = len(queries)
        names = sorted({t.name for found in result.values() for t in found})
        try:
            claims[0].reject("no", by=user)
        except TransitionPermissionDenied:
            refused = True
        claims[0].approve(by=User.objects.get(pk=user.pk))
        # The admin works too, on global permissions.
        from django.test import Client
        from django.test.utils import setup_test_environment
        setup_test_environment()
        user.is_staff = True
        user.save()
        user.user_permissions.add(Permission.objects.get(codename="view_claim"))
        client = Client()
        client.force_login(user)
        url = f"/admin/testapp/claim/{claims[1].pk}/transition/approve/"
        status = client.post(url).status_code
        print(names, query_count, refused, Claim.objects.get(pk=claims[0].pk).state,
              "guardian" in sys.modules and sys.modules["guardian"] is not None,
              status, Claim.objects.get(pk=claims[1].pk).state)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "['approve']",
        "1",
        "True",
        "approved",
        "False",
        "302",
        "approved",
    ]
