"""``queryset.bulk_transition()``: one UPDATE, one INSERT of records, or a clear refusal."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_guarded import (
    SYSTEM,
    BulkTransitionError,
    GuardedError,
    TransitionPermissionDenied,
    unguarded,
)
from django_guarded.models import AuditRecord
from tests.bank.models import Account as BankAccount
from tests.bank.models import Bank, Card
from tests.testapp.models import (
    Account,
    Document,
    DocumentState,
    Invoice,
    Pickup,
    TrafficLight,
)

pytestmark = pytest.mark.django_db

D = decimal.Decimal
WHEN = datetime.datetime(2021, 6, 1, tzinfo=datetime.timezone.utc)


def make(model: Any, count: int = 1, **fields: Any) -> list[Any]:
    with unguarded():
        return [model.objects.create(**fields) for _ in range(count)]


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"].split(None, 1)[0]
        for q in queries.captured_queries
        if q["sql"].upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def test_moves_only_rows_in_a_source_state_and_records_each() -> None:
    trials = make(Account, 3, status="trial")
    [signed] = make(Account, 1, status="signedup")
    with CaptureQueriesContext(connection) as queries:
        moved = Account.objects.all().bulk_transition("expire", by=SYSTEM, asof=WHEN)
    assert moved == 3
    assert writes(queries) == ["INSERT", "UPDATE"]
    assert set(Account.objects.values_list("status", flat=True)) == {"expired", "signedup"}
    records = AuditRecord.objects.filter(model="testapp.account").order_by("object_pk")
    assert [r.object_pk for r in records] == sorted(str(a.pk) for a in trials)
    for record in records:
        assert (record.kind, record.method, record.field) == ("bulk_transition", "expire", "status")
        assert (record.source, record.target) == ("trial", "expired")
        assert (record.actor, record.created_at, record.data) == ("django_guarded.SYSTEM", WHEN, {})
    assert not AuditRecord.objects.filter(object_pk=str(signed.pk)).exists()


def test_respects_the_querysets_filter() -> None:
    old, new = make(Account, 2, status="trial")
    assert Account.objects.filter(pk=old.pk).bulk_transition("expire") == 1
    new.refresh_from_db()
    assert new.status == "trial"


def test_nothing_to_move_writes_nothing() -> None:
    make(Account, 2, status="signedup")
    assert Account.objects.bulk_transition("expire") == 0
    assert not AuditRecord.objects.exists()


def test_each_source_goes_to_its_own_target() -> None:
    red, green, yellow = (make(TrafficLight, 1, state=s)[0] for s in (0, 1, 2))
    assert TrafficLight.objects.bulk_transition("advance_from_red_or_green") == 2
    assert {light.pk: light.state for light in TrafficLight.objects.all()} == {
        red.pk: 1,
        green.pk: 2,
        yellow.pk: 2,
    }
    moves = {
        r.object_pk: (r.source, r.target)
        for r in AuditRecord.objects.filter(model="testapp.trafficlight")
    }
    assert moves == {str(red.pk): ("0", "1"), str(green.pk): ("1", "2")}


def test_any_other_state_source_skips_the_target() -> None:
    account = BankAccount.objects.open(
        get_user_model().objects.create(username="c"),
        bank=Bank.objects.found("b", cap=D("1.00")),
        limit=D("1.00"),
    )
    cards = [Card.objects.issue(account, expires=datetime.date(2030, 1, 1)) for _ in range(3)]
    cards[1].block()
    cards[2].activate()
    assert Card.objects.bulk_transition("block") == 2
    assert set(Card.objects.values_list("state", flat=True)) == {"blocked"}
    bulk = AuditRecord.objects.filter(kind="bulk_transition").order_by("source")
    # UUID keys come out as str(uuid) whatever the database stores.
    assert [(r.object_pk, r.source) for r in bulk] == [
        (str(cards[2].pk), "active"),
        (str(cards[0].pk), "issued"),
    ]
    assert [r.method for r in cards[0].audit_trail()] == ["issue", "block"]


def test_manager_operation_can_expire_in_bulk() -> None:
    account = BankAccount.objects.open(
        get_user_model().objects.create(username="c"),
        bank=Bank.objects.found("b", cap=D("1.00")),
        limit=D("1.00"),
    )
    old = Card.objects.issue(account, expires=datetime.date(2020, 1, 1))
    Card.objects.issue(account, expires=datetime.date(2030, 1, 1))
    assert Card.objects.expire_due(datetime.date(2025, 1, 1)) == 1
    assert [r.target for r in old.audit_trail()] == [
        "issued",
        "expired",
    ]  # its creation, then the move


def test_state_in_a_table_of_its_own() -> None:
    DocumentState.objects.get_or_create(id="draft", defaults={"label": "Draft"})
    DocumentState.objects.get_or_create(id="published", defaults={"label": "Published"})
    docs = make(Document, 2)
    assert Document.objects.bulk_transition("publish") == 2
    assert {d.state_id for d in Document.objects.all()} == {"published"}
    assert {(r.source, r.target) for r in docs[0].audit_trail()} == {("draft", "published")}


def test_values_set_other_columns_and_data_fills_the_records() -> None:
    make(Account, 2, status="trial")
    Account.objects.bulk_transition("expire", values={"name": "expired in bulk"}, data={"job": 7})
    assert set(Account.objects.values_list("name", flat=True)) == {"expired in bulk"}
    assert {r.data["job"] for r in AuditRecord.objects.all()} == {7}


def test_opted_out_model_writes_no_records() -> None:
    make(Account, 2, status="trial")
    Account.guarded_audit = False
    try:
        assert Account.objects.bulk_transition("expire") == 2
    finally:
        del Account.guarded_audit
    assert not AuditRecord.objects.exists()


# -- What cannot run in bulk ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "method", "reason"),
    [
        (Account, "signup", "its body would not run for each row"),
        (Invoice, "approve", "its conditions (has_title) are checked per object"),
        (Pickup, "dropped_off", "it declares on_error="),
        (Pickup, "reset", "is decided per object"),
        (Pickup, "triage", "is decided per object"),
    ],
)
def test_per_object_transitions_are_refused(model: Any, method: str, reason: str) -> None:
    make(model, 1)
    with pytest.raises(BulkTransitionError, match="cannot run as a bulk transition") as caught:
        model.objects.bulk_transition(method, by=SYSTEM)
    assert reason in str(caught.value)
    assert not AuditRecord.objects.exists()


def test_names_that_are_not_transitions_are_refused() -> None:
    with pytest.raises(BulkTransitionError, match="has no @transition method of that name"):
        Account.objects.bulk_transition("rename")
    with pytest.raises(BulkTransitionError, match="has no @transition method"):
        Account.objects.bulk_transition("nope")


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"status": "signedup"}, "values sets Account.status, its state field"),
        ({"status": "expired"}, "values sets Account.status, its state field"),
        (
            {"signup_date": "2020-01-01T00:00:00Z"},
            "values sets Account.signup_date, which is guarded",
        ),
    ],
)
def test_values_may_not_write_guarded_fields(values: dict[str, Any], reason: str) -> None:
    (account,) = make(Account, 1, status="trial")
    with pytest.raises(BulkTransitionError, match="cannot run as a bulk transition") as caught:
        Account.objects.bulk_transition("expire", values=values)
    assert reason in str(caught.value)
    assert isinstance(caught.value, GuardedError)
    stored = Account.objects.get(pk=account.pk)
    assert (stored.status, stored.signup_date) == ("trial", None)
    assert not AuditRecord.objects.exists()


def test_values_may_write_unguarded_fields_and_name_only_fields() -> None:
    (account,) = make(Account, 1, status="trial")
    with pytest.raises(BulkTransitionError, match="'nope', which is not a field of Account"):
        Account.objects.bulk_transition("expire", values={"nope": 1})
    assert Account.objects.bulk_transition("expire", values={"name": "gone"}) == 1
    stored = Account.objects.get(pk=account.pk)
    assert (stored.status, stored.name) == ("expired", "gone")
    (record,) = AuditRecord.objects.all()
    assert (record.source, record.target) == ("trial", "expired")


def test_sliced_querysets_are_refused() -> None:
    with pytest.raises(BulkTransitionError, match="plain filtered queryset"):
        Account.objects.all()[:5].bulk_transition("expire")


def test_permission_is_checked_globally_for_the_actor() -> None:
    bank = Bank.objects.found("b", cap=D("1.00"))
    user_model = get_user_model()
    BankAccount.objects.open(user_model.objects.create(username="a"), bank=bank, limit=D("1"))
    clerk = user_model.objects.create(username="clerk")
    with pytest.raises(TransitionPermissionDenied, match="pass the acting user"):
        BankAccount.objects.bulk_transition("freeze")
    with pytest.raises(TransitionPermissionDenied, match="global permission 'bank.freeze_account'"):
        BankAccount.objects.bulk_transition("freeze", by=clerk)
    clerk.user_permissions.add(Permission.objects.get(codename="freeze_account"))
    clerk = user_model.objects.get(pk=clerk.pk)  # forget the cached permissions
    assert BankAccount.objects.bulk_transition("freeze", by=clerk) == 1
    assert BankAccount.objects.bulk_transition("unfreeze", by=SYSTEM) == 1
    actors = list(
        AuditRecord.objects.filter(kind="bulk_transition").values_list("actor", "actor_pk")
    )
    assert actors == [("clerk", str(clerk.pk)), ("django_guarded.SYSTEM", "")]


def test_method_object_works_as_well_as_its_name() -> None:
    make(Account, 1, status="trial")
    assert Account.objects.bulk_transition(Account.expire) == 1


def test_bulk_records_replay_like_any_other() -> None:
    from django_guarded._audit.verify import verify

    make(Account, 3, status="trial")
    Account.objects.bulk_transition("expire")
    assert verify("default", ["testapp.account"]).problems == []
