"""The way out of a guard message: the methods that assign the field, read from their source."""

from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal
from typing import Any

import pytest

from django_guarded import GuardedFieldError
from django_guarded._core import source as _source
from django_guarded._core.wording import writers
from tests.bank.models import Account as BankAccount
from tests.bank.models import Status
from tests.testapp.models import Account, BillingInfo


def message_of(instance: Any, name: str, value: Any) -> str:
    with pytest.raises(GuardedFieldError) as caught:
        setattr(instance, name, value)
    return str(caught.value)


def bank_account() -> BankAccount:
    # Built in memory: the guard refuses the assignment before anything is saved.
    return BankAccount(balance=Decimal(10), limit=Decimal(100))


def test_the_balance_names_the_operations_that_move_it_and_no_transition() -> None:
    message = message_of(bank_account(), "balance", Decimal(0))
    # deposit() and withdraw() assign it through the helper _add() they call on self.
    assert message.startswith(
        "Account.balance is guarded: change it inside one of the model's own methods: "
        "Account.deposit() or Account.withdraw(). "
    )
    for other in ("freeze()", "unfreeze()", "close()", "objects.open()"):
        assert other not in message


def test_a_field_that_several_methods_assign_names_each_of_them() -> None:
    message = message_of(bank_account(), "modified", datetime.datetime(2020, 1, 1))
    assert "Account.close(), Account.deposit() or Account.withdraw()." in message


def test_a_field_that_no_method_assigns_says_so() -> None:
    billing = BillingInfo(account_id=1, address="1 Quay Street", card_type="visa")
    message = message_of(billing, "account", Account(pk=2, status="trial"))
    assert message.startswith(
        "BillingInfo.account is guarded: none of BillingInfo's methods changes it: write a "
        "@transition or @operation method on BillingInfo that does. "
    )
    # Its foreign key's column is the same field.
    assert "none of BillingInfo's methods changes it" in message_of(billing, "account_id", 3)


def test_signup_date_names_the_transition_and_the_operation_that_set_it() -> None:
    message = message_of(Account(status="trial"), "signup_date", "2020-01-01")
    # Of signup(), expire(), rename() and stamp(), the two whose bodies assign it.
    assert "own methods: Account.signup() or Account.stamp(). " in message


def test_a_state_given_as_a_choices_member_is_shown_as_its_stored_value() -> None:
    account = bank_account()
    assert account.status is Status.ACTIVE or account.status == "active"
    assert "(current state 'active')" in message_of(account, "status", "closed")


def test_without_their_source_every_method_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_source, "_read", lambda func: _source.UNKNOWN)
    monkeypatch.setattr(_source, "_CACHE", type(_source._CACHE)())
    message = message_of(bank_account(), "balance", Decimal(0))
    assert (
        "Account.close(), Account.freeze(), Account.unfreeze(), Account.deposit() or "
        "Account.withdraw()." in message
    )


def test_each_class_is_read_once() -> None:
    assert _source.bodies(BankAccount) is _source.bodies(BankAccount)
    assert _source.bodies(BankAccount)["_add"][0] >= {"balance", "modified"}


# -- Reading a method's source --------------------------------------------------------------


def scan(source: str) -> tuple[Any, Any]:
    assigned, calls = _source.scan(textwrap.dedent(source))
    return (None if assigned is None else set(assigned)), set(calls)


def test_every_form_of_assignment_counts() -> None:
    assert scan(
        """
        def work(me, other):
            me.a = 1
            me.b += 1
            me.c: int = 2
            me.d, (me.e, *me.f) = 1, (2, 3)
            for me.g in range(2):
                pass
            with open("x") as me.h:
                pass
            del me.i
            setattr(me, "j", 1)
            other.k = 1
            me.l.m = 1
            me.helper(me.n)
        """
    ) == ({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, {"helper"})


@pytest.mark.parametrize(
    "line", ["setattr(self, name, 1)", "self.__dict__['x'] = 1", "vars(self).update(self.__dict__)"]
)
def test_assigning_through_a_computed_name_is_unknown(line: str) -> None:
    assert scan(f"def work(self, name):\n    {line}\n") == (None, set())


def test_a_method_without_arguments_assigns_nothing() -> None:
    assert scan("def work():\n    x.a = 1\n") == (set(), set())


def test_a_source_that_is_not_a_function_is_unknown() -> None:
    assert _source.scan("x = (") == _source.UNKNOWN
    assert _source.scan("x = 1") == _source.UNKNOWN


def test_a_class_defined_where_its_source_cannot_be_read_is_unknown() -> None:
    namespace: dict[str, Any] = {"__name__": "typed_into_a_shell"}
    exec("class Made:\n    def work(self):\n        self.a = 1\n", namespace)
    assert _source.bodies(namespace["Made"]) == {"work": _source.UNKNOWN}


# -- Choosing the methods to name -------------------------------------------------------------


def test_writers_follow_calls_on_self_through_cycles() -> None:
    bodies = {
        "deposit": ((), ("_add",)),
        "withdraw": ((), ("_add", "deposit")),
        "_add": ({"balance"}, ("_log", "withdraw")),
        "_log": ({"log"}, ()),
        "freeze": ((), ("save",)),  # save() is the framework's: not in bodies
    }
    assert writers(["deposit", "freeze", "withdraw"], bodies, {"balance"}) == [
        "deposit",
        "withdraw",
    ]
    assert writers(["freeze"], bodies, {"balance"}) == []
    assert writers(["deposit"], bodies, {"log"}) == ["deposit"]


def test_writers_name_the_methods_whose_body_is_unknown() -> None:
    bodies = {"a": ({"x"}, ()), "b": (None, ()), "c": ((), ("b",)), "d": ((), ())}
    assert writers(["a", "b", "c", "d", "missing"], bodies, {"y"}) == ["b", "c", "missing"]
