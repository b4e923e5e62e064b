"""``django_guarded.conf``: the ``DJANGO_GUARDED`` setting, its defaults and its errors."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from django_guarded.conf import DEFAULTS, guarded_settings

FIXED = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def fixed_clock() -> datetime.datetime:
    return FIXED


def test_the_defaults_hold_without_the_setting() -> None:
    assert guarded_settings.AUDIT is True
    assert guarded_settings.CLOCK is timezone.now
    assert guarded_settings.MERMAID_JS is None
    assert set(DEFAULTS) == {"AUDIT", "CLOCK", "MERMAID_JS"}


def test_a_changed_setting_is_read_again() -> None:
    with override_settings(DJANGO_GUARDED={"CLOCK": "tests.test_conf.fixed_clock"}):
        assert guarded_settings.now() == FIXED
        assert guarded_settings.AUDIT is True
    assert guarded_settings.CLOCK is timezone.now


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["AUDIT"], "settings.DJANGO_GUARDED must be a dict, got list"),
        ({"AUDITS": True}, "unknown key(s) 'AUDITS': the known keys are 'AUDIT', 'CLOCK'"),
        ({"AUDIT": "yes"}, "settings.DJANGO_GUARDED[\"AUDIT\"] must be True or False, got 'yes'"),
        ({"CLOCK": "no.such.clock"}, "= 'no.such.clock' cannot be imported"),
        ({"CLOCK": 12}, 'settings.DJANGO_GUARDED["CLOCK"] must be a callable or its dotted path'),
        ({"MERMAID_JS": "  "}, 'settings.DJANGO_GUARDED["MERMAID_JS"] must be None, a URL'),
    ],
)
def test_a_bad_setting_names_the_key_and_the_way_to_write_it(value: object, message: str) -> None:
    with override_settings(DJANGO_GUARDED=value), pytest.raises(ImproperlyConfigured) as caught:
        guarded_settings.AUDIT  # noqa: B018 - reading is what checks
    assert message in str(caught.value)
