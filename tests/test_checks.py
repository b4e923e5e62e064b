"""System checks, tested by id."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from django_guarded import FSMField, GuardedManager, GuardedModel, guarded, transition
from django_guarded.admin.checks import check_admin_registrations
from django_guarded.checks import (
    check_guarded_fields,
    check_managers,
    check_transitions,
)


class _FakeAppConfig:
    def __init__(self, *model_classes: type[models.Model]) -> None:
        self.model_classes = model_classes

    def get_models(self) -> tuple[type[models.Model], ...]:
        return self.model_classes


def ids(messages: list[Any]) -> list[str]:
    return sorted(message.id for message in messages)


def test_the_test_project_passes_every_check() -> None:
    configs = apps.get_app_configs()
    assert check_managers(configs) == []
    assert check_transitions(configs) == []
    assert check_guarded_fields(configs) == []


@isolate_apps("tests.testapp")
def test_e001_default_manager_not_guarded_and_w001_for_other_managers() -> None:
    class Ledger(GuardedModel):
        class Meta:
            app_label = "testapp"

        objects = models.Manager()
        guarded_objects = GuardedManager()

    class Journal(GuardedModel):
        class Meta:
            app_label = "testapp"

        objects = GuardedManager()
        everything = models.Manager()

    messages = check_managers([_FakeAppConfig(Ledger, Journal)])
    assert ids(messages) == ["django_guarded.E001", "django_guarded.W001"]
    e001 = next(m for m in messages if m.id == "django_guarded.E001")
    assert "testapp.Ledger.objects is a Manager" in e001.msg
    assert e001.obj is Ledger


@isolate_apps("tests.testapp")
def test_e002_target_and_w002_source_outside_the_choices() -> None:
    class Order(GuardedModel):
        class Meta:
            app_label = "testapp"

        state = FSMField(default="new", choices=[("new", "New"), ("paid", "Paid")])
        objects = GuardedManager()

        @transition(field=state, source="new", target="shipped")
        def ship(self) -> None:
            pass

        @transition(field=state, source="lost", target="paid")
        def find(self) -> None:
            pass

        @transition(field=state, source="*", target="new")
        def restart(self) -> None:
            pass

    messages = check_transitions([_FakeAppConfig(Order)])
    assert ids(messages) == ["django_guarded.E002", "django_guarded.W002"]
    text = " ".join(m.msg for m in messages)
    assert "Order.ship() moves Order.state to 'shipped'" in text
    assert "Order.find() starts from 'lost'" in text


@isolate_apps("tests.testapp")
def test_e003_guarded_field_and_w003_state_field_on_a_plain_model() -> None:
    class Plain(models.Model):
        class Meta:
            app_label = "testapp"

        balance = guarded(models.IntegerField(default=0))
        state = FSMField(default="a")

    messages = check_guarded_fields([_FakeAppConfig(Plain)])
    assert ids(messages) == ["django_guarded.E003", "django_guarded.W003"]


@isolate_apps("tests.testapp")
def test_manager_built_from_a_guarded_queryset_passes() -> None:
    from django_guarded import GuardedQuerySet

    class Box(GuardedModel):
        class Meta:
            app_label = "testapp"

        objects = models.Manager.from_queryset(GuardedQuerySet)()

    assert check_managers([_FakeAppConfig(Box)]) == []


def test_guarded_rejects_what_is_not_a_field() -> None:
    import pytest

    with pytest.raises(TypeError, match="guarded\\(\\) takes a model field instance"):
        guarded("balance")  # type: ignore[type-var]


@isolate_apps("tests.testapp")
def test_e007_guarded_many_to_many_field() -> None:
    class Tag(models.Model):
        class Meta:
            app_label = "testapp"

    class Article(GuardedModel):
        tags = guarded(models.ManyToManyField(Tag))
        labels = models.ManyToManyField(Tag, related_name="labelled")

        objects = GuardedManager()

        class Meta:
            app_label = "testapp"

    messages = check_guarded_fields([_FakeAppConfig(Tag, Article)])
    assert ids(messages) == ["django_guarded.E007"]
    (error,) = messages
    assert "testapp.Article.tags is a ManyToManyField marked guarded()" in error.msg
    assert "through=" in error.hint


def test_w006_guarded_model_in_a_plain_model_admin() -> None:
    from django.contrib import admin

    from django_guarded.admin import TransitionAdmin
    from tests.testapp.models import Ticket

    site = admin.AdminSite(name="w006")
    site.register(Ticket, admin.ModelAdmin)
    try:
        messages = [m for m in check_admin_registrations() if "'w006'" in m.msg]
        assert ids(messages) == ["django_guarded.W006"]
        assert str(messages[0]).startswith(
            "<class 'django.contrib.admin.options.ModelAdmin'>: (django_guarded.W006) "
            "testapp.Ticket is registered in the admin site 'w006' with ModelAdmin, which is "
            "not a TransitionAdminMixin"
        )
        site.unregister(Ticket)
        site.register(Ticket, TransitionAdmin)
        assert [m for m in check_admin_registrations() if "'w006'" in m.msg] == []
    finally:
        from django.contrib.admin.sites import all_sites

        all_sites.discard(site)


def test_the_admin_of_the_test_project_passes_w006() -> None:
    from django.contrib import admin

    assert [m for m in check_admin_registrations() if f"'{admin.site.name}'" in m.msg] == []
