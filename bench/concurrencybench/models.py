"""Models for ``bench_concurrency.py``: one switch flipped by a locked transition."""

from __future__ import annotations

from django.db import models

from django_guarded import GET_STATE, FSMField, GuardedManager, GuardedModel, guarded, transition

STATES = [("off", "off"), ("on", "on")]


def _other(switch: Switch) -> str:
    return "on" if switch.state == "off" else "off"


class Switch(GuardedModel):
    """A row whose locked transition always applies: it flips the state and counts."""

    state = FSMField(choices=STATES, default="off", max_length=3)
    flips = guarded(models.BigIntegerField(default=0))

    objects = GuardedManager["Switch"]()

    @transition(field=state, source="*", target=GET_STATE(_other, states=["on", "off"]), lock=True)
    def flip(self) -> None:
        self.flips += 1


class PlainSwitch(models.Model):
    """The same row for the hand-written loop."""

    state = models.CharField(choices=STATES, default="off", max_length=3)
    flips = models.BigIntegerField(default=0)


class QuietSwitch(Switch):
    """The same switch with the audit trail turned off: what the locking alone costs."""

    guarded_audit = False

    class Meta:
        proxy = True
