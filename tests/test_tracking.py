"""``django_guarded._orm.tracking``: what a call saves, and the edits made before it."""

from __future__ import annotations

import copy

import pytest

from django_guarded import unguarded
from django_guarded._orm.tracking import (
    UNSAVED,
    after_save,
    changed_fields,
    forget_unsaved,
    note_unsaved,
    restore,
    snapshot,
    unsaved_baseline,
)
from tests.testapp.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    with unguarded():
        return Account.objects.create(name="ada")


def index_of(attname: str) -> int:
    return [a for a, _ in Account._guarded_tracked].index(attname)


def test_an_assignment_from_outside_is_noted_with_the_value_before(account: Account) -> None:
    account.name = "grace"
    account.name = "hopper"  # only the first assignment since the last save counts
    assert account.__dict__[UNSAVED] == {"name": "ada"}
    baseline = unsaved_baseline(account, snapshot(account))
    assert baseline[index_of("name")] == "ada"
    assert changed_fields(account, baseline) == ["name"]


def test_a_copy_keeps_its_own_notes(account: Account) -> None:
    account.name = "grace"
    twin = copy.copy(account)
    twin.created = twin.created  # not a change, but an assignment: noted on the twin only
    note_unsaved(twin, "signup_date")
    assert set(twin.__dict__[UNSAVED]) == {"name", "created", "signup_date"}
    assert set(account.__dict__[UNSAVED]) == {"name"}


def test_saving_or_reloading_forgets_the_notes_of_what_is_stored(account: Account) -> None:
    account.name = "grace"
    account.created = account.created
    forget_unsaved(account, ["name"])
    assert set(account.__dict__[UNSAVED]) == {"created"}
    account.refresh_from_db()
    assert UNSAVED not in account.__dict__
    assert account.name == "ada"


def test_after_a_partial_save_the_rest_is_still_to_save(account: Account) -> None:
    before = snapshot(account)
    account.__dict__["name"] = "grace"
    account.__dict__["signup_date"] = None
    baseline = list(before)
    saved = after_save(account, baseline, snapshot(account), ["signup_date"])
    assert changed_fields(account, saved) == ["name"]
    assert after_save(account, baseline, snapshot(account), None) == snapshot(account)


def test_restore_puts_the_values_back_and_drops_cached_relations(account: Account) -> None:
    before = snapshot(account)
    account.__dict__["name"] = "changed"
    account._state.fields_cache["billing_info"] = object()
    restore(account, before)
    assert account.name == "ada"
    assert account._state.fields_cache == {}
