"""``manage.py guarded_check`` runs the checker (no database involved)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest

django = pytest.importorskip("django")


@pytest.fixture
def configured() -> None:
    from django.conf import settings

    if not settings.configured:
        pytest.skip("needs pytest-django and the test settings")


@pytest.mark.usefixtures("configured")
def test_reports_and_fails(shop: Path) -> None:
    from django.core.management import CommandError, call_command

    views = shop / "views.py"
    views.write_text("from shop.models import Account\nAccount(name='x')\n")
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("guarded_check", str(views), "--strict", stdout=out, stderr=StringIO())
    assert raised.value.returncode == 1
    assert "GRD301" in out.getvalue()


@pytest.mark.usefixtures("configured")
def test_clean_project(shop: Path) -> None:
    from django.core.management import call_command

    out = StringIO()
    call_command("guarded_check", str(shop / "shop"), stdout=out, stderr=StringIO())
    assert out.getvalue() == ""
