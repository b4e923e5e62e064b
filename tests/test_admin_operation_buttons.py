"""Operation buttons as docs/admin.md describes them: their options, and what the admin
does when the method behind a button raises (which errors become a message, and which
propagate)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client
from django.urls import path
from guardian.shortcuts import assign_perm

from django_guarded import ConcurrentTransition, operation
from django_guarded.admin import TransitionAdmin
from django_guarded.admin.steps import declared_steps
from tests.testapp.admin import RenameForm
from tests.testapp.models import Account

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class Declined(Exception):
    """A payment provider said no: an error of the project's own."""


class AccountAdmin(TransitionAdmin):
    operation_buttons = {"rename": {"form": RenameForm}}


class ListingAdmin(AccountAdmin):
    transition_errors = (Declined,)


class OptionsAdmin(TransitionAdmin):
    operation_buttons = {
        "rename": {"confirm": True, "permission": lambda obj, user: obj.name == "open"}
    }


default_site, listing_site = AdminSite(name="default"), AdminSite(name="listing")
options_site = AdminSite(name="options")
default_site.register(Account, AccountAdmin)
listing_site.register(Account, ListingAdmin)
options_site.register(Account, OptionsAdmin)
urlpatterns = [
    path("default/", default_site.urls),
    path("listing/", listing_site.urls),
    path("options/", options_site.urls),
]


@pytest.fixture
def raising(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make ``rename()`` raise what a test puts into ``raising.error``, after a change."""

    class Raising:
        error: Exception = RuntimeError("unset")

    @operation
    def rename(self: Account, name: str) -> None:
        self.name = name
        raise Raising.error

    monkeypatch.setattr(Account, "rename", rename)
    return Raising


def press(site: str, account: Account) -> Any:
    user = get_user_model().objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(user)
    url = f"/{site}/testapp/account/{account.pk}/transition/rename/"
    return client.post(url, {"_guarded_confirm": "1", "name": "new name"})


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (ValidationError(["No such name.", "Try another."]), "No such name. Try another."),
        (ConcurrentTransition("Someone else renamed it."), "Someone else renamed it."),
    ],
)
def test_validation_and_guarded_errors_become_a_message(
    raising: Any, error: Exception, shown: str
) -> None:
    account = Account.objects.create_trial(name="old name")
    raising.error = error
    response = press("default", account)
    assert response.status_code == 302
    assert response["Location"] == f"/default/testapp/account/{account.pk}/change/"
    assert messages_of(response) == [f"Rename failed for account “{account}”: {shown}"]
    assert Account.objects.get(pk=account.pk).name == "old name"


def test_an_error_listed_in_transition_errors_becomes_a_message(raising: Any) -> None:
    account = Account.objects.create_trial(name="old name")
    raising.error = Declined("The card was declined.")
    response = press("listing", account)
    assert messages_of(response) == [
        f"Rename failed for account “{account}”: The card was declined."
    ]
    assert Account.objects.get(pk=account.pk).name == "old name"


@pytest.mark.parametrize("error", [Declined("The card was declined."), KeyError("name")])
def test_any_other_error_propagates(raising: Any, error: Exception) -> None:
    account = Account.objects.create_trial(name="old name")
    raising.error = error
    with pytest.raises(type(error)):
        press("default", account)  # Django would answer 500
    assert Account.objects.get(pk=account.pk).name == "old name"


# -- Options ----------------------------------------------------------------------------------


def test_the_label_defaults_to_the_method_name_and_confirm_true_asks_a_question() -> None:
    steps = declared_steps(Account, {}, {"rename": {"confirm": True}})
    assert (steps["rename"].label, steps["rename"].confirm) == ("Rename", "Rename: are you sure?")
    named = declared_steps(Account, {}, {"rename": {"label": "Give a name", "confirm": "Sure?"}})
    assert (named["rename"].label, named["rename"].confirm) == ("Give a name", "Sure?")


def test_an_unknown_option_names_the_options() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown admin option.*colour") as caught:
        declared_steps(Account, {}, {"rename": {"colour": "red"}})
    for key in ("admin", "bulk", "confirm", "form", "help_text", "label", "permission"):
        assert key in str(caught.value)


def test_a_permission_function_decides_who_sees_the_button() -> None:
    user = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    assign_perm("testapp.change_account", user)
    client = Client()
    client.force_login(user)
    shown = {}
    for name in ("open", "closed"):
        account = Account.objects.create_trial(name=name)
        page = client.get(f"/options/testapp/account/{account.pk}/change/")
        shown[name] = "rename" in [b["step"].name for b in page.context["guarded_buttons"]]
    assert shown == {"open": True, "closed": False}
