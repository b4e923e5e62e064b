"""@transition and @operation: atomic, saving only what changed, undone on failure."""

from __future__ import annotations

import decimal
from typing import Any

import django_fsm
import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_guarded import (
    SYSTEM,
    DirectSaveError,
    GuardedError,
    TransitionNotAllowed,
    TransitionPermissionDenied,
    can_proceed,
    operation,
    transition,
    unguarded,
)
from django_guarded.models import AuditRecord
from django_guarded.signals import post_transition, pre_transition
from tests.testapp.models import (
    Account,
    ClosedTicket,
    Document,
    ForeignInvoice,
    Invoice,
    Pickup,
    Ticket,
    TrafficLight,
)

pytestmark = pytest.mark.django_db


def make_pickup(**fields: Any) -> Pickup:
    with unguarded():
        return Pickup.objects.create(**fields)


FUSED = "WITH django_guarded_updated AS ("


def writes(queries: CaptureQueriesContext) -> list[str]:
    """The statements that wrote to the models' tables (audit records aside).

    On PostgreSQL an audited UPDATE and its record are one statement: its UPDATE counts.
    """
    found = []
    for query in queries.captured_queries:
        sql = query["sql"].lstrip()
        if sql.startswith(FUSED):
            sql = sql.removeprefix(FUSED).split(" RETURNING 1) INSERT INTO ", 1)[0]
        if (
            sql.upper().startswith(("UPDATE", "INSERT", "DELETE"))
            and "django_guarded_auditrecord" not in sql
        ):
            found.append(sql)
    return found


def test_transition_changes_state_and_saves() -> None:
    account = Account.objects.create_trial()
    account.signup()
    assert account.status == "signedup"
    stored = Account.objects.get(pk=account.pk)
    assert stored.status == "signedup"
    assert stored.signup_date == account.signup_date is not None


def test_transition_updates_only_the_changed_columns() -> None:
    account = Account.objects.create_trial(name="ada")
    with CaptureQueriesContext(connection) as queries:
        account.signup()
    [update] = writes(queries)
    assert update.startswith("UPDATE")
    set_clause = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    assert "status" in set_clause
    assert "signup_date" in set_clause
    assert "name" not in set_clause
    assert "created" not in set_clause


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_GUARDED={"AUDIT": False})  # a record would be a second statement
def test_transition_outside_a_transaction_is_one_query() -> None:
    pickup = make_pickup()
    with CaptureQueriesContext(connection) as queries:
        pickup.assign("bob")
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = [
        q["sql"] for q in queries.captured_queries if not q["sql"].upper().startswith(control)
    ]
    assert len(statements) == 1, queries.captured_queries
    assert statements[0].startswith("UPDATE")


def transactions_opened(call: Any) -> int:
    """How many times ``call()`` turned autocommit off, that is, opened a transaction."""
    opened = 0
    original = connection.set_autocommit

    def spy(autocommit: bool, *args: Any, **kwargs: Any) -> None:
        nonlocal opened
        opened += not autocommit
        original(autocommit, *args, **kwargs)

    connection.set_autocommit = spy  # type: ignore[method-assign]
    try:
        call()
    finally:
        del connection.set_autocommit
    return opened


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_GUARDED={"AUDIT": False})
def test_an_empty_transition_opens_no_transaction() -> None:
    """Nothing can query before its UPDATE, so no transaction is opened around it
    (on MySQL even an empty one costs three round trips)."""
    pickup = make_pickup(state=Pickup.State.WAITING)
    assert transactions_opened(pickup.accept) == 0
    pickup.refresh_from_db()
    assert pickup.state == Pickup.State.TO_AIRPORT


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_GUARDED={"AUDIT": False})
def test_anything_that_could_query_gets_a_transaction() -> None:
    # A body.
    pickup = make_pickup()
    assert transactions_opened(lambda: pickup.assign("bob")) == 1

    # A receiver of django-fsm's transition signals.
    def receiver(**kwargs: Any) -> None:
        pass

    django_fsm.signals.pre_transition.connect(receiver, sender=Pickup)
    try:
        pickup = make_pickup(state=Pickup.State.WAITING)
        assert transactions_opened(pickup.accept) == 1
    finally:
        django_fsm.signals.pre_transition.disconnect(receiver, sender=Pickup)

    # A computed target.
    pickup = make_pickup()
    assert transactions_opened(lambda: pickup.triage(vip=True)) == 1


@pytest.mark.django_db(transaction=True)
@override_settings(DJANGO_GUARDED={"AUDIT": False})
def test_conditions_are_checked_once_before_the_update(monkeypatch: Any) -> None:
    """django-fsm-2 checks a transition's conditions again inside change_state(); the
    engine checks them once, before anything is written, so an empty body with
    conditions still needs no transaction around its one UPDATE."""
    from tests.testapp import models as testapp_models

    calls: list[Invoice] = []
    original = testapp_models.has_title

    def counting(invoice: Invoice) -> bool:
        calls.append(invoice)
        return original(invoice)

    meta = Invoice.approve._django_fsm  # type: ignore[attr-defined]
    transition_ = meta.get_transition("new")
    monkeypatch.setattr(transition_, "conditions", [counting])
    with unguarded():
        invoice = Invoice.objects.create(title="t")
    assert transactions_opened(lambda: invoice.approve(by=SYSTEM)) == 0
    assert calls == [invoice]
    invoice.refresh_from_db()
    assert invoice.state == "approved"


def test_unavailable_transition_raises_and_changes_nothing() -> None:
    account = Account.objects.create_trial()
    account.signup()
    with pytest.raises(TransitionNotAllowed) as caught:
        account.signup()
    message = str(caught.value)
    assert "Account.signup() cannot run while Account.status is 'signedup'" in message
    assert "'trial' or 'expired'" in message
    assert isinstance(caught.value, django_fsm.TransitionNotAllowed)
    assert isinstance(caught.value, GuardedError)
    assert caught.value.object is account


def test_conditions_are_named_when_not_met() -> None:
    with unguarded():
        invoice = Invoice.objects.create(title="")
    with pytest.raises(TransitionNotAllowed, match=r"conditions are not met \(has_title\)"):
        invoice.approve(by=SYSTEM)
    assert Invoice.objects.get(pk=invoice.pk).state == "new"


def test_a_failing_body_rolls_back_and_restores_the_instance() -> None:
    pickup = make_pickup(state="to_hotel", notes="before")
    with pytest.raises(RuntimeError, match="broke down"):
        pickup.dropped_off(crash=True)
    # on_error is recorded even though the body's own writes were rolled back
    stored = Pickup.objects.get(pk=pickup.pk)
    assert stored.state == "failed"
    assert stored.notes == "before"
    assert pickup.state == "failed"
    assert pickup.notes == "before"


def test_a_failing_operation_rolls_back_everything() -> None:
    account = Account.objects.create_trial(name="before")

    class Boom(Exception):
        pass

    def exploding_rename(self: Account, name: str) -> None:
        self.name = name
        self.signup_date = "2020-01-01T00:00:00Z"
        self.save()
        raise Boom

    exploding = operation(exploding_rename)
    with pytest.raises(Boom):
        exploding(account, "after")
    stored = Account.objects.get(pk=account.pk)
    assert (stored.name, stored.signup_date) == ("before", None)
    assert (account.name, account.signup_date) == ("before", None)


def test_transition_inside_an_outer_atomic_rolls_back_with_it() -> None:
    account = Account.objects.create_trial()

    def signup_then_fail() -> None:
        with transaction.atomic():
            account.signup()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        signup_then_fail()
    assert Account.objects.get(pk=account.pk).status == "trial"


def test_failed_transition_inside_outer_atomic_leaves_it_usable() -> None:
    pickup = make_pickup(state="to_hotel")
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            pickup.dropped_off(crash=True)
        assert Pickup.objects.filter(pk=pickup.pk).count() == 1


def test_wildcard_and_list_sources() -> None:
    pickup = make_pickup()
    pickup.assign("bob")
    pickup.decline()
    assert (pickup.state, pickup.driver) == ("request", "")
    pickup.assign("eve")
    pickup.accept()
    pickup.decline()
    assert pickup.state == "request"
    assert pickup.reset("failed") == "failed"
    assert Pickup.objects.get(pk=pickup.pk).state == "failed"


def test_any_other_state_source_excludes_the_target() -> None:
    pickup = make_pickup()
    pickup.abandon()
    assert Pickup.objects.get(pk=pickup.pk).state == "failed"
    with pytest.raises(TransitionNotAllowed, match="starts from any other state"):
        pickup.abandon()


def test_custom_properties_are_kept_on_the_transition() -> None:
    pickup = make_pickup()
    [abandon] = [t for t in pickup.get_available_state_transitions() if t.name == "abandon"]
    assert abandon.custom == {"label": "Give up", "help_text": "The pickup will not happen."}
    assert abandon.source == "+"
    assert abandon.target == "failed"


def test_return_value_target_checks_allowed_states() -> None:
    pickup = make_pickup()
    with pytest.raises(django_fsm.InvalidResultState):
        pickup.reset("dropped_off")
    assert Pickup.objects.get(pk=pickup.pk).state == "request"
    assert pickup.state == "request"


def test_get_state_target() -> None:
    vip = make_pickup()
    vip.triage(vip=True)
    assert Pickup.objects.get(pk=vip.pk).state == "waiting"
    regular = make_pickup()
    regular.triage(vip=False)
    assert regular.state == "request"


def test_stacked_transitions_on_one_method() -> None:
    with unguarded():
        light = TrafficLight.objects.create()
    light.advance_from_red_or_green()
    light.advance_from_red_or_green()
    assert light.state == TrafficLight.YELLOW
    with pytest.raises(TransitionNotAllowed):
        light.advance_from_red_or_green()
    light.stop()
    assert TrafficLight.objects.get(pk=light.pk).state == TrafficLight.RED


def test_django_fsm_helpers_keep_working() -> None:
    account = Account.objects.create_trial()
    assert can_proceed(account.signup)
    assert {t.name for t in account.get_available_status_transitions()} == {"signup", "expire"}
    assert {t.name for t in account.get_all_status_transitions()} == {"signup", "expire"}
    account.signup()
    assert not can_proceed(account.expire)


def test_django_fsm_signals_are_sent() -> None:
    seen: list[tuple[str, str, str, str]] = []

    def receiver(sender: Any, name: str, source: str, target: str, **kwargs: Any) -> None:
        seen.append((kwargs["signal_name"], name, source, target))

    def pre(**kwargs: Any) -> None:
        receiver(signal_name="pre", **kwargs)

    def post(**kwargs: Any) -> None:
        receiver(signal_name="post", **kwargs)

    pre_transition.connect(pre, sender=Account)
    post_transition.connect(post, sender=Account)
    try:
        Account.objects.create_trial().signup()
    finally:
        pre_transition.disconnect(pre, sender=Account)
        post_transition.disconnect(post, sender=Account)
    assert seen == [("pre", "signup", "trial", "signedup"), ("post", "signup", "trial", "signedup")]


def test_fsm_key_field_transition() -> None:
    with unguarded():
        document = Document.objects.create(title="t")
    assert document.state.label == "Draft"
    document.publish()
    assert document.state_id == "published"
    assert document.state.label == "Published"  # the cached related object was dropped
    assert Document.objects.get(pk=document.pk).state_id == "published"


def test_operation_saves_a_model_method_change() -> None:
    account = Account.objects.create_trial(name="old")
    account.rename("new")
    assert Account.objects.get(pk=account.pk).name == "new"


def test_operation_that_changes_nothing_writes_nothing() -> None:
    account = Account.objects.create_trial(name="same")
    with CaptureQueriesContext(connection) as queries:
        account.rename("same")
    assert writes(queries) == []


def test_operation_that_saves_itself_is_not_saved_twice() -> None:
    account = Account.objects.create_trial()

    def rename_and_save(self: Account, name: str) -> None:
        self.name = name
        self.save(update_fields=["name"])

    with CaptureQueriesContext(connection) as queries:
        operation(rename_and_save)(account, "x")
    assert len(writes(queries)) == 1


def test_manager_operation_creates_related_rows_atomically() -> None:
    account = Account.objects.create_signup(address="1 Main St", card_type="visa")
    assert account.status == "signedup"
    assert account.billing_info.address == "1 Main St"


def test_manager_operation_rolls_back_as_a_whole() -> None:
    before = Account.objects.count()
    with pytest.raises(TypeError):
        Account.objects.create_signup(address="1 Main St")  # type: ignore[call-arg]
    assert Account.objects.count() == before


def test_queryset_operation_bulk_update() -> None:
    import datetime

    from django.utils import timezone

    with unguarded():
        old = Account.objects.create(created=timezone.now() - datetime.timedelta(days=40))
        new = Account.objects.create()
    assert Account.objects.expire_old_trials() == 1
    assert Account.objects.get(pk=old.pk).status == "expired"
    assert Account.objects.get(pk=new.pk).status == "trial"


def test_operation_rejects_coroutines() -> None:
    async def deposit(self: Any) -> None:
        pass

    with pytest.raises(TypeError, match="coroutine"):
        operation(deposit)
    with pytest.raises(TypeError, match="coroutine"):
        transition(field="status", source="a", target="b")(deposit)


def test_operation_on_something_else_is_a_clear_type_error() -> None:
    @operation
    def method(self: Any) -> None:
        pass

    with pytest.raises(TypeError, match="GuardedModel, of its manager or of its queryset"):
        method(object())


def test_transition_and_operation_do_not_stack() -> None:
    def method(self: Any) -> None:
        pass

    with pytest.raises(TypeError, match="already"):
        operation(operation(method))
    with pytest.raises(TypeError, match="is an @operation"):
        transition(field="status", source="a", target="b")(operation(method))


def test_inherited_model_operation_writes_parent_and_child_fields() -> None:
    with unguarded():
        invoice = ForeignInvoice.objects.create(title="t", amount=decimal.Decimal("5"))
    invoice.convert("USD")
    stored = ForeignInvoice.objects.get(pk=invoice.pk)
    assert (stored.currency, stored.amount) == ("USD", decimal.Decimal("10"))
    with pytest.raises(Exception, match="ForeignInvoice.currency is guarded"):
        invoice.currency = "GBP"


def test_permission_is_enforced_on_the_call(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("clerk")
    with unguarded():
        invoice = Invoice.objects.create(title="t")
    with pytest.raises(
        TransitionPermissionDenied, match="needs permission 'testapp.approve_invoice'"
    ):
        invoice.approve()
    with pytest.raises(TransitionPermissionDenied, match="clerk may not run Invoice.approve()"):
        invoice.approve(by=user)
    assert Invoice.objects.get(pk=invoice.pk).state == "new"
    invoice.approve(by=SYSTEM)
    assert Invoice.objects.get(pk=invoice.pk).state == "approved"


def test_direct_save_after_transition_is_refused() -> None:
    """The django-fsm-2 habit `obj.transition(); obj.save()` fails loudly."""
    account = Account.objects.create_trial()
    account.signup()
    with pytest.raises(DirectSaveError):
        account.save()


# -- New rows come from the manager's operations ------------------------------------------


def test_a_transition_on_an_unsaved_instance_is_refused_and_names_the_way() -> None:
    pickup = Pickup(state="to_hotel", driver="d")
    with pytest.raises(DirectSaveError) as caught:
        pickup.dropped_off()
    message = str(caught.value)
    assert "Pickup.dropped_off() was called on an unsaved Pickup object" in message
    assert "write an @operation on Pickup's manager that creates them" in message
    assert not Pickup.objects.exists()
    assert not AuditRecord.objects.exists()
    assert pickup.state == "to_hotel"


def test_an_operation_on_an_unsaved_instance_names_the_manager_operations() -> None:
    account = Account(name="x")
    with pytest.raises(DirectSaveError, match=r"Account\.objects\.create_trial\(\)"):
        account.rename("y")
    assert not Account.objects.exists()


def test_on_error_on_an_unsaved_instance_runs_nothing() -> None:
    pickup = Pickup(state="to_hotel")
    with pytest.raises(DirectSaveError, match="unsaved Pickup"):
        pickup.dropped_off(crash=True)
    assert pickup.state == "to_hotel"
    assert not Pickup.objects.exists()


def test_a_call_on_a_deleted_instance_is_refused() -> None:
    pickup = make_pickup()
    with unguarded():
        pickup.delete()
    with pytest.raises(DirectSaveError, match="on a deleted Pickup object"):
        pickup.assign("Grace")


def test_the_callers_exception_survives_a_failed_on_error_save() -> None:
    pickup = make_pickup(state="to_hotel")
    with unguarded():
        Pickup.objects.filter(pk=pickup.pk).delete()  # gone underneath
    with pytest.raises(RuntimeError, match="the car broke down") as caught:
        pickup.dropped_off(crash=True)
    assert caught.value.__cause__ is not None  # why the on_error state was not saved


# -- state_choices: the instance's class follows its state --------------------------------


def test_state_choices_give_the_proxy_class_on_creation_load_and_transition() -> None:
    ticket = Ticket.objects.file("printer")
    assert type(ticket) is Ticket
    ticket.close()
    assert type(ticket) is ClosedTicket
    assert ticket.summary() == "closed: printer"
    assert type(Ticket.objects.get(pk=ticket.pk)) is ClosedTicket
    assert type(Ticket.objects.file("fax", state="closed")) is ClosedTicket
    ticket.reopen()
    assert type(ticket) is Ticket
    assert type(Ticket.objects.get(pk=ticket.pk)) is Ticket


def test_a_failed_transition_gives_the_class_back() -> None:
    ticket = Ticket.objects.file("printer", state="closed")
    assert type(ticket) is ClosedTicket
    with pytest.raises(RuntimeError):
        ticket.reopen(fail=True)
    assert type(ticket) is ClosedTicket
    assert ticket.state == "closed"
    assert Ticket.objects.get(pk=ticket.pk).state == "closed"


def test_what_the_body_changed_but_did_not_save_itself_is_saved_at_the_end() -> None:
    account = Account.objects.create_trial()
    account.stamp(name="renamed")  # saves signup_date itself, not the name
    stored = Account.objects.get(pk=account.pk)
    assert stored.signup_date is not None
    assert stored.name == "renamed"
