"""The admin: transition buttons, the transition view, bulk actions, object permissions."""

from __future__ import annotations

import decimal
import re
import threading
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from guardian.admin import GuardedModelAdmin
from guardian.shortcuts import assign_perm

from django_guarded import unguarded
from tests.testapp.models import Account, Claim, Invoice, Pickup

pytestmark = pytest.mark.django_db

# A second admin site with django-guardian's admin alone, to compare with.
plain_site = django_admin.AdminSite(name="plain")
plain_site.register(Claim, GuardedModelAdmin)
urlpatterns = [path("admin/", django_admin.site.urls), path("plain/", plain_site.urls)]


def make_user(username: str, *perms: str, staff: bool = True, **flags: Any) -> Any:
    user = get_user_model().objects.create_user(username, password="pw", is_staff=staff, **flags)
    for perm in perms:
        assign_perm(perm, user)
    return user


def make_claim(state: str = "submitted", **fields: Any) -> Claim:
    fields.setdefault("title", f"{state} claim")
    fields.setdefault("description", "taxi")
    with unguarded():
        return Claim.objects.create(state=state, **fields)


def logged_in(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def change_url(obj: Any) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def transition_url(obj: Any, name: str) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_transition", args=[obj.pk, name])


def buttons(response: Any) -> list[str]:
    return [b["step"].name for b in response.context["guarded_buttons"]]


def message_texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def root() -> Any:
    return make_user("root", is_superuser=True)


@pytest.fixture
def reviewer() -> Any:
    """Staff holding approve_claim on one claim only (the claim is the user's .claim)."""
    user = make_user("reviewer")
    user.claim = make_claim(title="reviewed")
    assign_perm("testapp.approve_claim", user, user.claim)
    return user


# -- Buttons --------------------------------------------------------------------------------


def test_change_page_shows_the_available_permitted_transitions(root: Any) -> None:
    claim = make_claim()
    response = logged_in(root).get(change_url(claim))
    assert response.status_code == 200
    assert buttons(response) == ["approve", "reject", "escalate"]
    html = response.content.decode()
    assert 'title="Accept the claim for payment."' in html
    assert "Approve</button>" in html
    assert "Reject…</button>" in html
    assert transition_url(claim, "approve") in html
    # django-guardian's object-permissions link is kept.
    assert "Object permissions" in html


def test_change_page_shows_the_machine_with_the_current_state_marked(root: Any) -> None:
    claim = make_claim()
    html = logged_in(root).get(change_url(claim)).content.decode()
    assert 'class="guarded-machine"' in html
    assert f"now <strong>{claim.get_state_display()}</strong>" in html or (
        f"now <strong>{claim.state}</strong>" in html
    )
    assert '<pre class="mermaid">' in html
    from django_guarded import graph

    expected = graph.to_mermaid(graph.describe(Claim, "state"), highlight=claim.state)
    marker = expected.strip().splitlines()[-1]
    assert marker.strip().startswith("class s")
    assert marker.strip() in html
    assert "<script" not in html.split('class="guarded-machines"', 1)[1].split("</div>", 1)[0]


def test_buttons_are_limited_to_what_the_user_may_run(reviewer: Any) -> None:
    response = logged_in(reviewer).get(change_url(reviewer.claim))
    assert response.status_code == 200
    assert buttons(response) == ["approve"]
    # Read-only for this user: no save button.
    assert 'name="_save"' not in response.content.decode()


def test_unmet_conditions_show_a_disabled_button_with_a_hint() -> None:
    author = make_user("author", "testapp.submit_claim", "testapp.view_claim")
    claim = make_claim(state="draft", description="")
    response = logged_in(author).get(change_url(claim))
    html = response.content.decode()
    assert buttons(response) == ["submit"]
    assert "disabled" in html.split('data-transition="submit"')[1].split("</form>")[0]
    assert "List what the claim is for (its description) first." in html


def test_a_transition_without_permission_needs_the_change_permission() -> None:
    viewer = make_user("viewer", "testapp.view_claim")
    editor = make_user("editor", "testapp.change_claim")
    claim = make_claim(state="draft")
    assert "touch" not in buttons(logged_in(viewer).get(change_url(claim)))
    assert "touch" in buttons(logged_in(editor).get(change_url(claim)))
    response = logged_in(viewer).post(transition_url(claim, "touch"))
    assert response.status_code == 403


def test_hidden_transitions_get_no_button(root: Any) -> None:
    claim = make_claim(state="rejected")
    assert buttons(logged_in(root).get(change_url(claim))) == []


# -- Running a transition -------------------------------------------------------------------


def test_pressing_a_button_runs_the_transition_logs_it_and_says_so(reviewer: Any) -> None:
    client = logged_in(reviewer)
    response = client.post(transition_url(reviewer.claim, "approve"), follow=True)
    assert response.redirect_chain == [(change_url(reviewer.claim), 302)]
    claim = stored(reviewer.claim)
    assert claim.state == "approved"
    assert claim.reviewer_note == "approved by reviewer"
    assert any("Approve: done" in text for text in message_texts(response))
    entry = LogEntry.objects.get(object_id=str(claim.pk))
    assert entry.user == reviewer
    assert entry.get_change_message() == "Approve: state “Submitted” → state “Approved”"
    # The page the user lands on shows the new state and what may follow it: paying,
    # which any staff member but the claim's owner may do.
    assert "Approved" in response.content.decode()
    assert buttons(response) == ["pay"]


def audit_panel(response: Any) -> str:
    return response.content.decode().split('id="guarded-audit-trail"')[1].split("</section>")[0]


def test_the_audit_trail_is_shown_on_the_change_page(root: Any) -> None:
    from django_guarded.models import AuditRecord

    claim = make_claim()
    with unguarded():
        AuditRecord.objects.create(
            created_at=timezone.now(),
            model="testapp.claim",
            object_pk=str(claim.pk),
            kind="transition",
            method="submit",
            field="state",
            source="draft",
            target="submitted",
            actor="alice",
        )
    response = logged_in(root).get(change_url(claim))
    rows = response.context["guarded_audit_trail"]
    assert [(r["who"], r["what"], r["change"]) for r in rows] == [
        ("alice", "submit()", "draft → submitted")
    ]
    assert "submit()" in audit_panel(response)


def test_a_transition_run_from_the_admin_appears_in_the_audit_trail(reviewer: Any) -> None:
    from django_guarded.models import AuditRecord

    client = logged_in(reviewer)
    response = client.post(transition_url(reviewer.claim, "approve"), follow=True)
    [record] = AuditRecord.objects.for_object(reviewer.claim)
    assert (record.method, record.actor) == ("approve", "reviewer")
    assert "approve()" in audit_panel(response)
    assert "reviewer" in audit_panel(response)


def test_a_form_transition_asks_then_validates_then_runs(root: Any) -> None:
    claim = make_claim()
    client = logged_in(root)
    page = client.post(transition_url(claim, "reject"))
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    assert stored(claim).state == "submitted"
    invalid = client.post(transition_url(claim, "reject"), {"_guarded_confirm": "1", "reason": ""})
    assert invalid.status_code == 200
    assert "This field is required." in invalid.content.decode()
    assert stored(claim).state == "submitted"
    done = client.post(
        transition_url(claim, "reject"), {"_guarded_confirm": "1", "reason": "no receipt"}
    )
    assert done.status_code == 302
    assert (stored(claim).state, stored(claim).reviewer_note) == ("rejected", "no receipt")


def test_a_confirmation_is_asked_before_running(root: Any) -> None:
    claim = make_claim()
    client = logged_in(root)
    page = client.post(transition_url(claim, "escalate"))
    assert "Send this claim to the finance director?" in page.content.decode()
    assert stored(claim).state == "submitted"
    client.post(transition_url(claim, "escalate"), {"_guarded_confirm": "1"})
    assert stored(claim).state == "escalated"


def test_a_failed_transition_changes_nothing_at_all() -> None:
    owner = make_user("owner")
    cashier = make_user("cashier", "testapp.view_claim")
    claim = make_claim(state="approved", owner=owner, amount=decimal.Decimal("10"))
    response = logged_in(cashier).post(
        transition_url(claim, "pay"),
        {"_guarded_confirm": "1", "amount": "99", "title": "renamed", "state": "paid"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("Cannot pay 99" in text for text in message_texts(response))
    after = stored(claim)
    assert (after.state, after.paid_amount, after.title) == ("approved", 0, "approved claim")
    assert not LogEntry.objects.exists()


def test_an_operation_button_runs_the_operation(root: Any) -> None:
    account = Account.objects.create_trial(name="old")
    client = logged_in(root)
    url = reverse("admin:testapp_account_transition", args=[account.pk, "rename"])
    assert client.post(url).status_code == 200
    client.post(url, {"_guarded_confirm": "1", "name": "new"})
    assert Account.objects.get(pk=account.pk).name == "new"


# -- The change form ------------------------------------------------------------------------


def test_guarded_fields_are_read_only_and_cannot_be_posted(root: Any) -> None:
    claim = make_claim(amount=decimal.Decimal("5"))
    client = logged_in(root)
    page = client.get(change_url(claim))
    form = page.context["adminform"].form
    assert set(form.fields) == {"title", "description", "owner"}
    response = client.post(
        change_url(claim),
        {
            "title": "renamed",
            "description": "taxi",
            "owner": "",
            "state": "paid",
            "amount": "999",
            "reviewer_note": "forged",
            "_transition-state-pay": "Pay",  # what django-fsm-2's admin would post
        },
    )
    assert response.status_code == 302
    after = stored(claim)
    assert after.title == "renamed"
    assert (after.state, after.amount, after.reviewer_note) == ("submitted", 5, "")


def test_adding_and_deleting_are_left_to_the_model(root: Any) -> None:
    claim = make_claim()
    client = logged_in(root)
    assert client.get(reverse("admin:testapp_claim_add")).status_code == 403
    assert client.post(reverse("admin:testapp_claim_delete", args=[claim.pk])).status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()


# -- Forged requests ------------------------------------------------------------------------


def test_forged_transition_not_available_from_the_state(root: Any) -> None:
    claim = make_claim(state="draft")
    response = logged_in(root).post(transition_url(claim, "approve"), follow=True)
    assert response.status_code == 200
    [text] = message_texts(response)
    assert text == "Approve is not available for claim “draft claim”: state “Draft”."
    assert stored(claim).state == "draft"


def test_forged_transition_without_the_permission(reviewer: Any) -> None:
    response = logged_in(reviewer).post(transition_url(reviewer.claim, "escalate"))
    assert response.status_code == 403
    assert stored(reviewer.claim).state == "submitted"


def test_forged_callable_permission(root: Any) -> None:
    owner = make_user("owner")
    claim = make_claim(state="approved", owner=owner, amount=decimal.Decimal("10"))
    assign_perm("testapp.view_claim", owner, claim)
    response = logged_in(owner).post(
        transition_url(claim, "pay"), {"_guarded_confirm": "1", "amount": "10"}
    )
    assert response.status_code == 403
    assert stored(claim).state == "approved"


@pytest.mark.parametrize(
    "name",
    [
        "nope",
        "delete",
        "save",
        "__class__",
        "reopen",
        "set_amount",
        "get_available_state_transitions",
    ],
)
def test_forged_names_that_are_not_admin_transitions(root: Any, name: str) -> None:
    claim = make_claim(state="approved")
    response = logged_in(root).post(transition_url(claim, name))
    assert response.status_code == 400
    assert stored(claim).state == "approved"
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_forged_get_instead_of_post(root: Any) -> None:
    claim = make_claim()
    response = logged_in(root).get(transition_url(claim, "approve"))
    assert response.status_code == 405
    assert stored(claim).state == "submitted"


def test_forged_post_without_csrf_token(root: Any) -> None:
    claim = make_claim()
    client = logged_in(root, enforce_csrf_checks=True)
    response = client.post(transition_url(claim, "approve"))
    assert response.status_code == 403
    assert stored(claim).state == "submitted"


def test_forged_post_with_the_csrf_token_works(root: Any) -> None:
    claim = make_claim()
    client = logged_in(root, enforce_csrf_checks=True)
    page = client.get(change_url(claim))
    token = page.context["csrf_token"]
    response = client.post(transition_url(claim, "approve"), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert stored(claim).state == "approved"


def test_forged_object_the_user_cannot_see(reviewer: Any) -> None:
    other = make_claim(title="someone else's")
    client = logged_in(reviewer)
    response = client.post(transition_url(other, "approve"), follow=True)
    assert response.redirect_chain[-1] == (reverse("admin:index"), 302)
    assert any("doesn’t exist" in text for text in message_texts(response))  # noqa: RUF001
    assert stored(other).state == "submitted"


def test_forged_anonymous_and_non_staff_requests() -> None:
    claim = make_claim()
    assert Client().post(transition_url(claim, "approve")).status_code == 302
    outsider = make_user("outsider", "testapp.approve_claim", staff=False)
    response = logged_in(outsider).post(transition_url(claim, "approve"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert stored(claim).state == "submitted"


def test_two_tabs_racing_the_same_transition(root: Any) -> None:
    claim = make_claim()
    first, second = logged_in(root), logged_in(root)
    assert "approve" in buttons(first.get(change_url(claim)))
    assert "approve" in buttons(second.get(change_url(claim)))
    assert first.post(transition_url(claim, "approve")).status_code == 302
    late = second.post(transition_url(claim, "approve"), follow=True)
    assert message_texts(late) == [
        "Approve is not available for claim “submitted claim”: state “Approved”."
    ]
    assert LogEntry.objects.count() == 1
    assert stored(claim).state == "approved"


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_two_tabs_racing_in_parallel_run_it_once() -> None:
    root = make_user("root", is_superuser=True)
    claim = make_claim()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def press() -> None:
        client = logged_in(root)
        barrier.wait()
        statuses.append(client.post(transition_url(claim, "approve")).status_code)
        connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert stored(claim).state == "approved"
    assert LogEntry.objects.count() == 1


# -- Object-aware admin permissions ---------------------------------------------------------


def test_object_permissions_open_exactly_those_objects(reviewer: Any) -> None:
    other = make_claim(title="hidden")
    client = logged_in(reviewer)
    index = client.get(reverse("admin:index"))
    assert "/admin/testapp/claim/" in index.content.decode()
    changelist = client.get(reverse("admin:testapp_claim_changelist"))
    assert changelist.status_code == 200
    assert [c.pk for c in changelist.context["cl"].result_list] == [reviewer.claim.pk]
    assert client.get(change_url(reviewer.claim)).status_code == 200
    hidden = client.get(change_url(other))
    assert hidden.status_code == 302
    assert hidden["Location"] == reverse("admin:index")


def test_plain_guardian_admin_refuses_the_same_user(reviewer: Any) -> None:
    client = logged_in(reviewer)
    url = reverse("plain:testapp_claim_change", args=[reviewer.claim.pk])
    assert client.get(url).status_code == 403


test_plain_guardian_admin_refuses_the_same_user = pytest.mark.urls(__name__)(
    test_plain_guardian_admin_refuses_the_same_user
)


def test_group_object_permissions_count(root: Any) -> None:
    team = Group.objects.create(name="team")
    claim = make_claim()
    assign_perm("testapp.escalate_claim", team, claim)
    member = make_user("member")
    member.groups.add(team)
    client = logged_in(member)
    assert buttons(client.get(change_url(claim))) == ["escalate"]
    client.post(transition_url(claim, "escalate"), {"_guarded_confirm": "1"})
    assert stored(claim).state == "escalated"


def test_object_change_permission_allows_editing_that_object_only() -> None:
    editor = make_user("editor")
    mine, other = make_claim(title="mine"), make_claim(title="other")
    assign_perm("testapp.change_claim", editor, mine)
    client = logged_in(editor)
    data = {"title": "edited", "description": "taxi", "owner": ""}
    assert client.post(change_url(mine), data).status_code == 302
    # Django 6.1 redirects with "doesn't exist"; 5.2 answers 403 before it looks: either
    # way the same as for a missing object.
    assert client.post(change_url(other), data).status_code in (302, 403)
    assert (stored(mine).title, stored(other).title) == ("edited", "other")


def test_without_guardian_backend_object_permissions_open_nothing(
    settings: Any, reviewer: Any
) -> None:
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    client = logged_in(reviewer)
    assert client.get(reverse("admin:testapp_claim_changelist")).status_code == 403
    assert client.post(transition_url(reviewer.claim, "approve")).status_code in (302, 403)
    assert stored(reviewer.claim).state == "submitted"
    manager = make_user("manager", "testapp.approve_claim")
    response = logged_in(manager).post(transition_url(reviewer.claim, "approve"))
    assert response.status_code == 302
    assert stored(reviewer.claim).state == "approved"


# -- Bulk actions ---------------------------------------------------------------------------


def test_bulk_action_moves_what_it_may_and_says_why_not(reviewer: Any) -> None:
    more = [make_claim(title=f"more {i}") for i in range(2)]
    for claim in more:
        assign_perm("testapp.approve_claim", reviewer, claim)
    draft = make_claim(state="draft", title="draft")
    assign_perm("testapp.view_claim", reviewer, draft)
    viewed = make_claim(title="viewed only")
    assign_perm("testapp.view_claim", reviewer, viewed)
    invisible = make_claim(title="invisible")
    selected = [reviewer.claim, *more, draft, viewed, invisible]
    response = logged_in(reviewer).post(
        reverse("admin:testapp_claim_changelist"),
        {"action": "transition_approve", "_selected_action": [c.pk for c in selected]},
        follow=True,
    )
    [text] = message_texts(response)
    assert text == (
        "Approve: 3 claims done. 2 refused: "
        "1 not available from state “Draft”, 1 permission missing."
    )
    states = {c.title: stored(c).state for c in selected}
    assert states == {
        "reviewed": "approved",
        "more 0": "approved",
        "more 1": "approved",
        "draft": "draft",
        "viewed only": "submitted",
        "invisible": "submitted",
    }
    assert LogEntry.objects.count() == 3


def test_bulk_actions_offered_match_what_the_user_may_do(reviewer: Any, root: Any) -> None:
    url = reverse("admin:testapp_claim_changelist")
    mine = set(
        logged_in(reviewer).get(url).context["cl"].model_admin.get_actions(_request_for(reviewer))
    )
    assert mine == {"transition_approve"}
    everything = set(
        logged_in(root).get(url).context["cl"].model_admin.get_actions(_request_for(root))
    )
    # Transitions with a form (reject, pay) and hidden ones (reopen) have no action.
    assert everything == {
        "transition_submit",
        "transition_approve",
        "transition_escalate",
        "transition_touch",
    }


def _request_for(user: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_bulk_action_on_pickups_without_permissions(root: Any) -> None:
    with unguarded():
        pickups = [Pickup.objects.create(state="waiting") for _ in range(3)]
        Pickup.objects.create(state="request")
    response = logged_in(root).post(
        reverse("admin:testapp_pickup_changelist"),
        {"action": "transition_accept", "_selected_action": [p.pk for p in Pickup.objects.all()]},
        follow=True,
    )
    assert message_texts(response) == [
        "Accept: 3 pickups done. 1 refused: 1 not available from state “Request”."
    ]
    assert {Pickup.objects.get(pk=p.pk).state for p in pickups} == {"to_airport"}


# -- Cost -----------------------------------------------------------------------------------


def _page_queries(client: Client, url: str) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_cost_the_same_queries_for_5_or_50_objects(reviewer: Any) -> None:
    client = logged_in(reviewer)
    changelist = reverse("admin:testapp_claim_changelist")
    client.get(change_url(reviewer.claim))  # warm caches (content types, session)
    counts = []
    for extra in (4, 45):
        for i in range(extra):
            assign_perm("testapp.approve_claim", reviewer, make_claim(title=f"c{i}"))
        counts.append(
            (_page_queries(client, change_url(reviewer.claim)), _page_queries(client, changelist))
        )
    assert counts[0] == counts[1], counts
    # Among them: session, user, the user's global permissions, the object(s),
    # guardian's object permissions, the permissions held anywhere (one query per
    # permission table for every model of the index), the audit trail.
    change_page, changelist_page = counts[0]
    assert change_page <= 12, counts
    assert changelist_page <= 9, counts


# -- The mixin alone, and its configuration -------------------------------------------------


def test_the_mixin_works_alone_without_guardian_admin(root: Any) -> None:
    with unguarded():
        untitled = Invoice.objects.create(title="")
        titled = Invoice.objects.create(title="paper")
    client = logged_in(root)
    page = client.get(change_url(untitled))
    assert "Object permissions" not in page.content.decode()
    [button] = page.context["guarded_buttons"]
    assert (button["step"].name, button["hints"]) == ("approve", ["Has title: not met yet."])
    refused = client.post(transition_url(untitled, "approve"), follow=True)
    assert message_texts(refused) == [
        f"Approve cannot run on invoice “Invoice object ({untitled.pk})” yet: "
        "Has title: not met yet."
    ]
    client.post(transition_url(titled, "approve"))
    assert Invoice.objects.get(pk=titled.pk).state == "approved"
    assert Invoice.objects.get(pk=untitled.pk).state == "new"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"transition_options": {"nope": {}}}, "transition_options names 'nope'"),
        (
            {"transition_options": {"approve": {"permission": "x.y"}}},
            "unknown admin option(s) permission",
        ),
        ({"transition_options": {"approve": {"form": "builtins.dict"}}}, "'form' must be a Form"),
        ({"operation_buttons": {"approve": {}}}, "not an @operation method of Claim"),
    ],
)
def test_misconfigured_options_are_reported_at_startup(
    options: dict[str, Any], message: str
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from django_guarded.admin import TransitionAdmin

    admin_class = type("BrokenAdmin", (TransitionAdmin,), options)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        admin_class(Claim, django_admin.AdminSite(name="broken"))


# -- Nothing a user may only view becomes theirs to change ---------------------------------


def _permission_pages(claim: Claim, user: Any) -> list[str]:
    return [
        reverse("admin:testapp_claim_permissions", args=[claim.pk]),
        reverse("admin:testapp_claim_permissions_manage_user", args=[claim.pk, user.pk]),
    ]


@pytest.fixture
def editor() -> Any:
    """Staff holding change_claim on one claim (``editor.mine``) and view_claim on another
    (``editor.viewed``), both as object permissions."""
    user = make_user("editor")
    user.mine = make_claim(title="mine")
    user.viewed = make_claim(title="viewed")
    assign_perm("testapp.change_claim", user, user.mine)
    assign_perm("testapp.view_claim", user, user.viewed)
    return user


def test_guardians_permission_pages_need_what_guardian_needs(editor: Any) -> None:
    client = logged_in(editor)
    for claim in (editor.viewed, editor.mine):
        for url in _permission_pages(claim, editor):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == reverse("admin:index")
        response = client.post(
            reverse("admin:testapp_claim_permissions_manage_user", args=[claim.pk, editor.pk]),
            {"permissions": ["approve_claim", "change_claim"]},
        )
        assert response.status_code == 302
    assert not editor.has_perm("testapp.approve_claim", editor.viewed)
    editor = get_user_model().objects.get(pk=editor.pk)
    assert not editor.has_perm("testapp.change_claim", editor_claim(editor, "viewed"))
    # The forged grant cannot be used either: approving needs the permission.
    response = client.post(transition_url(editor_claim(editor, "viewed"), "approve"))
    assert response.status_code == 403
    assert stored(editor_claim(editor, "viewed")).state == "submitted"


def editor_claim(user: Any, title: str) -> Claim:
    return Claim.objects.get(title=title)


def test_the_mixin_answers_the_model_wide_change_question_as_the_admin_does(
    editor: Any,
) -> None:
    model_admin = django_admin.site._registry[Claim]
    request = _request_for(editor)
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_change_permission(request, editor.mine) is True
    assert model_admin.has_change_permission(request, editor.viewed) is False
    assert model_admin.has_view_permission(request, editor.viewed) is True


def test_the_superuser_still_manages_object_permissions(root: Any, editor: Any) -> None:
    client = logged_in(root)
    url = reverse("admin:testapp_claim_permissions_manage_user", args=[editor.viewed.pk, editor.pk])
    assert client.get(url).status_code == 200


def test_list_editable_writes_only_rows_the_user_may_change(editor: Any, monkeypatch: Any) -> None:
    model_admin = django_admin.site._registry[Claim]
    monkeypatch.setattr(model_admin, "list_editable", ["title"])
    monkeypatch.setattr(model_admin, "list_display", ["pk", "title", "state"])
    assign_perm("testapp.change_claim", editor)  # may change claims in general...
    editor = get_user_model().objects.get(pk=editor.pk)
    # ... but not this one, by a rule of the admin's own:
    monkeypatch.setattr(
        type(model_admin),
        "has_change_permission",
        lambda self, request, obj=None: obj is None or obj.title != "viewed",
    )
    claims = [editor_claim(editor, "mine"), editor_claim(editor, "viewed")]
    data: dict[str, Any] = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, claim in enumerate(claims):
        data[f"form-{index}-id"] = str(claim.pk)
        data[f"form-{index}-title"] = f"forged {index}"
    response = logged_in(editor).post(reverse("admin:testapp_claim_changelist"), data)
    assert response.status_code in (200, 302)
    assert sorted(Claim.objects.values_list("title", flat=True)) == ["forged 0", "viewed"]


# -- Forged bulk input and confirmations ---------------------------------------------------


@pytest.mark.parametrize(
    "selected",
    [["abc"], ["2.0"], [""], ["99999999999999999999999"], ["-99999999999999999999999"]],
    ids=["text", "decimal", "empty", "too-large", "too-small"],
)
def test_forged_bulk_selection_answers_with_a_message(root: Any, selected: list[str]) -> None:
    claim = make_claim()
    response = logged_in(root).post(
        reverse("admin:testapp_claim_changelist"),
        {"action": "transition_approve", "_selected_action": [str(claim.pk), *selected]},
        follow=True,
    )
    assert response.status_code == 200
    [text] = message_texts(response)
    assert text.startswith("The selection holds values that are not ids of claims:")
    assert "Nothing was done." in text
    assert stored(claim).state == "submitted"
    assert not LogEntry.objects.exists()


def test_a_confirmed_transition_asks_before_it_runs_in_bulk(root: Any) -> None:
    claims = [make_claim(title=f"c{i}") for i in range(2)]
    url = reverse("admin:testapp_claim_changelist")
    selection = {"action": "transition_escalate", "_selected_action": [c.pk for c in claims]}
    client = logged_in(root)
    response = client.post(url, selection)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Send this claim to the finance director?" in html
    assert "c0" in html
    assert "c1" in html
    assert {stored(c).state for c in claims} == {"submitted"}
    response = client.post(url, {**selection, "_guarded_confirm": "1"}, follow=True)
    assert message_texts(response) == ["Escalate: 2 claims done."]
    assert {stored(c).state for c in claims} == {"escalated"}


# -- Forms and admins that are not the mixin -----------------------------------------------


def test_a_plain_model_admin_form_with_a_changed_guarded_value_is_invalid(root: Any) -> None:
    site = django_admin.AdminSite(name="plain_claims")
    site.register(Claim, django_admin.ModelAdmin)
    model_admin = site._registry[Claim]
    claim = make_claim(amount=decimal.Decimal("10.00"))
    form_class = model_admin.get_form(_request_for(root), claim)
    data = {
        "title": claim.title,
        "description": claim.description,
        "state": claim.state,
        "amount": "99.00",
        "paid_amount": "0",
        "reviewer_note": "",
    }
    form = form_class(data, instance=claim)
    assert not form.is_valid()
    assert form.errors["amount"][0].startswith("Claim.amount is guarded")
    assert stored(claim).amount == decimal.Decimal("10.00")
