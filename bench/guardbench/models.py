"""Three models with the same six columns: plain Django, django-guarded, django-fsm-2."""

from __future__ import annotations

import django_fsm
from django.db import models

from django_guarded import FSMField, GuardedManager, GuardedModel, guarded, transition

STATES = [("a", "A"), ("b", "B")]


class PlainRow(models.Model):
    status = models.CharField(max_length=10, default="a", choices=STATES)
    balance = models.IntegerField(default=0)
    name = models.CharField(max_length=30, default="")
    email = models.CharField(max_length=60, default="")
    created = models.DateTimeField(null=True)
    score = models.FloatField(default=0.0)

    class Meta:
        app_label = "guardbench"


class GuardedRow(GuardedModel):
    status = FSMField(max_length=10, default="a", choices=STATES)
    balance = guarded(models.IntegerField(default=0))
    name = models.CharField(max_length=30, default="")
    email = models.CharField(max_length=60, default="")
    created = models.DateTimeField(null=True)
    score = models.FloatField(default=0.0)

    objects = GuardedManager["GuardedRow"]()
    guarded_audit = False  # the benchmark measures the guard, not the audit trail

    class Meta:
        app_label = "guardbench"

    @transition(field=status, source="a", target="b")
    def flip(self) -> None:
        pass

    @transition(field=status, source="b", target="a")
    def flop(self) -> None:
        pass


class FsmRow(django_fsm.FSMModelMixin, models.Model):
    status = django_fsm.FSMField(max_length=10, default="a", choices=STATES, protected=True)
    balance = models.IntegerField(default=0)
    name = models.CharField(max_length=30, default="")
    email = models.CharField(max_length=60, default="")
    created = models.DateTimeField(null=True)
    score = models.FloatField(default=0.0)

    class Meta:
        app_label = "guardbench"
