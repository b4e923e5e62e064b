"""What Django itself does with a model keeps working on a guarded one."""

from __future__ import annotations

import copy
import io
import pickle
from typing import Any

import django
import pytest
from django import forms
from django.core import serializers
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from django_guarded import GuardedFieldError, unguarded
from tests.testapp.models import (
    Account,
    ArchivedInvoice,
    BillingInfo,
    Document,
    ForeignInvoice,
    Invoice,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> Account:
    return Account.objects.create_signup(address="1 Main St", card_type="visa")


def test_loading_from_the_database(account: Account) -> None:
    loaded = Account.objects.get(pk=account.pk)
    assert (loaded.status, loaded.signup_date) == ("signedup", account.signup_date)
    assert loaded._state.adding is False
    assert loaded._state.db == "default"
    with pytest.raises(GuardedFieldError):
        loaded.status = "trial"


def test_refresh_from_db(account: Account) -> None:
    stale = Account.objects.get(pk=account.pk)
    account.rename("renamed")
    with unguarded():
        Account.objects.filter(pk=account.pk).update(status="expired")
    stale.refresh_from_db()
    assert (stale.status, stale.name) == ("expired", "renamed")
    stale.refresh_from_db(fields=["status"])
    assert stale.status == "expired"


def test_deferred_guarded_fields_load_on_access(account: Account) -> None:
    partial = Account.objects.only("name").get(pk=account.pk)
    assert partial.get_deferred_fields() == {"created", "status", "signup_date"}
    assert partial.status == "signedup"
    assert "status" not in partial.get_deferred_fields()
    deferred = Account.objects.defer("status").get(pk=account.pk)
    deferred.rename("x")  # an operation on an instance with a deferred state
    assert Account.objects.get(pk=account.pk).status == "signedup"


def test_deferred_state_is_read_by_a_transition() -> None:
    trial = Account.objects.create_trial()
    deferred = Account.objects.defer("status").get(pk=trial.pk)
    deferred.signup()
    assert Account.objects.get(pk=trial.pk).status == "signedup"


@pytest.mark.skipif(django.VERSION < (6, 1), reason="fetch modes arrived in Django 6.1")
def test_fetch_peers_loads_deferred_guarded_fields() -> None:
    from django.db.models import FETCH_PEERS

    for _ in range(3):
        Account.objects.create_trial()
    accounts = list(Account.objects.fetch_mode(FETCH_PEERS).only("name"))
    assert accounts[0].status == "trial"
    assert all("status" in a.__dict__ for a in accounts)


def test_copy_deepcopy_and_pickle_keep_the_guard(account: Account) -> None:
    for clone in (copy.copy(account), copy.deepcopy(account), pickle.loads(pickle.dumps(account))):
        assert clone.status == "signedup"
        assert clone.pk == account.pk
        with pytest.raises(GuardedFieldError):
            clone.status = "trial"


def test_full_clean_normalises_values(account: Account) -> None:
    account.full_clean()
    with unguarded():
        invoice = Invoice.objects.create(title="t", amount="12.50")
    loaded = Invoice.objects.get(pk=invoice.pk)
    loaded.full_clean()
    assert str(loaded.amount) == "12.50"


def test_clean_fields_reports_bad_values_instead_of_guard_errors() -> None:
    account = Account(status="nonsense")
    with pytest.raises(django.core.exceptions.ValidationError) as caught:
        account.full_clean()
    assert "status" in caught.value.message_dict


class AccountForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Account
        fields = ["name", "status"]


def test_model_form_reads_an_instance(account: Account) -> None:
    form = AccountForm(instance=account)
    assert form.initial["status"] == "signedup"
    assert 'value="signedup" selected' in str(form["status"])


def test_model_form_may_resubmit_an_unchanged_guarded_field(account: Account) -> None:
    form = AccountForm({"name": "new", "status": "signedup"}, instance=account)
    assert form.is_valid(), form.errors
    assert form.instance.name == "new"


def test_model_form_refuses_to_change_a_guarded_field(account: Account) -> None:
    form = AccountForm({"name": "new", "status": "trial"}, instance=account)
    assert not form.is_valid()
    (error,) = form.errors["status"]
    assert error.startswith("Account.status is guarded (current state 'signedup'): change it")
    assert "Account.signup()" in error
    assert "unguarded()" not in error
    assert account.status == "signedup"
    stored = Account.objects.get(pk=account.pk)
    assert (stored.status, stored.name) == ("signedup", "")


def test_guarded_field_error_is_an_attribute_error_and_a_field_error(account: Account) -> None:
    with pytest.raises(GuardedFieldError) as caught:
        account.status = "trial"
    error = caught.value
    assert isinstance(error, AttributeError)
    assert isinstance(error, django.core.exceptions.ValidationError)
    assert str(error).startswith("Account.status is guarded (current state 'signedup')")
    assert "unguarded()" in str(error)
    assert list(error.message_dict) == ["status"]
    assert "unguarded()" not in error.message_dict["status"][0]
    assert pickle.loads(pickle.dumps(error)).message_dict == error.message_dict


def test_dumpdata_and_loaddata_round_trip(account: Account, tmp_path: Any) -> None:
    data = serializers.serialize("json", [account, account.billing_info])
    fixture = tmp_path / "accounts.json"
    fixture.write_text(data)
    with unguarded():
        BillingInfo.objects.all().delete()
        Account.objects.all().delete()
    call_command("loaddata", str(fixture), verbosity=0)
    restored = Account.objects.get(pk=account.pk)
    assert restored.status == "signedup"
    assert restored.billing_info.card_type == "visa"
    out = io.StringIO()
    call_command("dumpdata", "testapp.account", stdout=out)
    assert '"status": "signedup"' in out.getvalue()


def test_deserialized_objects_can_be_saved_raw(account: Account) -> None:
    data = serializers.serialize("json", [account])
    pk = account.pk
    with unguarded():
        account.delete()
    for obj in serializers.deserialize("json", data):
        obj.save()
    assert Account.objects.get(pk=pk).status == "signedup"


def test_historical_models_in_migrations_write_freely() -> None:
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state(("testapp", "0002_document_states"))
    HistoricalAccount = state.apps.get_model("testapp", "Account")
    row = HistoricalAccount.objects.create(status="trial")
    row.status = "expired"
    row.save()
    HistoricalAccount.objects.filter(pk=row.pk).update(name="migrated")
    stored = Account.objects.get(pk=row.pk)
    assert (stored.status, stored.name) == ("expired", "migrated")


def test_select_related_and_prefetch_related(account: Account) -> None:
    billing = BillingInfo.objects.select_related("account").get(account=account)
    assert billing.account.status == "signedup"
    [prefetched] = Account.objects.prefetch_related("billing_info").filter(pk=account.pk)
    assert prefetched.billing_info.card_type == "visa"
    with pytest.raises(GuardedFieldError):
        billing.account.status = "trial"


def test_multi_table_inheritance_guards_parent_and_child_fields() -> None:
    with unguarded():
        invoice = ForeignInvoice.objects.create(title="t")
    loaded = ForeignInvoice.objects.get(pk=invoice.pk)
    with pytest.raises(GuardedFieldError):
        loaded.state = "paid"
    with pytest.raises(GuardedFieldError):
        loaded.currency = "GBP"
    parent = Invoice.objects.get(pk=invoice.pk)
    assert parent.foreigninvoice.currency == "EUR"


def test_proxy_models_share_the_guard() -> None:
    with unguarded():
        invoice = ArchivedInvoice.objects.create(title="t")
    with pytest.raises(GuardedFieldError):
        invoice.state = "paid"
    invoice.approve(by=__import__("django_guarded").SYSTEM)
    assert Invoice.objects.get(pk=invoice.pk).state == "approved"


def test_fsm_key_field_guards_the_object_and_the_id() -> None:
    with unguarded():
        document = Document.objects.create()
    from tests.testapp.models import DocumentState

    published = DocumentState.objects.get(pk="published")
    with pytest.raises(GuardedFieldError, match="Document.state is guarded"):
        document.state = published
    with pytest.raises(GuardedFieldError, match="Document.state_id is guarded"):
        document.state_id = "published"
    assert document.state_id == "draft"
    document.state = DocumentState.objects.get(pk="draft")  # the same value: no change
    loaded = Document.objects.select_related("state").get(pk=document.pk)
    assert loaded.state.label == "Draft"
