"""The admin's transition buttons in a real browser: Chromium driven by Playwright.

Needs ``pytest-playwright`` and Debian's Chromium at ``/usr/bin/chromium``
(``apt-get install -y chromium``); Playwright's own browser downloads are not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytest.importorskip(
    "pytest_playwright", reason="needs pytest-playwright: pip install pytest-playwright"
)
if not CHROMIUM.exists():
    pytest.skip(
        f"needs Debian's Chromium at {CHROMIUM}: apt-get install -y chromium",
        allow_module_level=True,
    )

from guardian.shortcuts import assign_perm  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from django_guarded import unguarded  # noqa: E402
from tests.testapp.models import Claim  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), "--no-sandbox"],
    }


def make_claim(title: str) -> Claim:
    with unguarded():
        return Claim.objects.create(title=title, description="taxi", state="submitted")


def log_in(page: Page, base_url: str, username: str, next_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")


@pytest.fixture
def reviewer(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("reviewer", password="pw", is_staff=True)
    user.claim = make_claim("Taxi to the airport")
    assign_perm("testapp.approve_claim", user, user.claim)
    return user


def test_a_reviewer_approves_the_claim_they_may_approve(
    page: Page, live_server: Any, reviewer: Any
) -> None:
    other = make_claim("Someone else's dinner")
    claim = reviewer.claim
    log_in(page, live_server.url, "reviewer", f"/admin/testapp/claim/{claim.pk}/change/")

    panel = page.locator("#guarded-transitions")
    expect(panel.locator("button")).to_have_text(["Approve"])
    expect(page.locator(".field-state .readonly")).to_have_text("Submitted")

    panel.get_by_role("button", name="Approve").click()

    expect(page.locator(".messagelist .success")).to_contain_text("Approve: done")
    expect(page.locator(".field-state .readonly")).to_have_text("Approved")
    audit = page.locator("#guarded-audit-trail tbody tr")
    expect(audit).to_have_count(1)
    expect(audit.first).to_contain_text("approve")
    expect(audit.first).to_contain_text("reviewer")
    assert Claim.objects.get(pk=claim.pk).state == "approved"

    # The changelist lists only that claim; the other one does not open.
    page.goto(f"{live_server.url}/admin/testapp/claim/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto(f"{live_server.url}/admin/testapp/claim/{other.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("doesn’t exist")  # noqa: RUF001
    assert Claim.objects.get(pk=other.pk).state == "submitted"


def test_a_form_transition_asks_first(page: Page, live_server: Any, django_user_model: Any) -> None:
    django_user_model.objects.create_user("root", password="pw", is_staff=True, is_superuser=True)
    claim = make_claim("Hotel")
    log_in(page, live_server.url, "root", f"/admin/testapp/claim/{claim.pk}/change/")

    expect(page.locator("#guarded-transitions button")).to_have_text(
        ["Approve", "Reject…", "Escalate…"]
    )
    page.get_by_role("button", name="Reject…").click()
    expect(page.locator("h1")).to_contain_text("Reject")
    page.fill("#id_reason", "no receipt")
    page.click("#guarded-transition-form input[type=submit]")

    expect(page.locator(".messagelist .success")).to_contain_text("Reject: done")
    expect(page.locator(".field-state .readonly")).to_have_text("Rejected")
    expect(page.locator(".field-reviewer_note .readonly")).to_have_text("no receipt")
