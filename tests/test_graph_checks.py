"""The system checks on the shape of each machine (E004-E006, W004, W005), tested by id."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from django_guarded import FSMField, GuardedManager, GuardedModel, transition
from django_guarded.checks import check_machines, check_transition_names

ROOT = Path(__file__).resolve().parent.parent
CHOICES = [("new", "New"), ("open", "Open"), ("stuck", "Stuck"), ("done", "Done")]


class _FakeAppConfig:
    def __init__(self, *model_classes: type[models.Model]) -> None:
        self.model_classes = model_classes

    def get_models(self) -> tuple[type[models.Model], ...]:
        return self.model_classes


def messages(*model_classes: type[models.Model]) -> list[Any]:
    config = [_FakeAppConfig(*model_classes)]
    return check_machines(config) + check_transition_names(config)


def ids(found: list[Any]) -> list[str]:
    return sorted(message.id for message in found)


def test_django_guarded_in_installed_apps_registers_the_checks() -> None:
    # A fresh interpreter: this module's own import must not be what registers them.
    code = (
        "import django; django.setup()\n"
        "from django.core.checks.registry import registry\n"
        "print(sorted(c.__name__ for c in registry.get_checks(include_deployment_checks=True)"
        " if c.__module__.startswith('django_guarded.')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['check_admin_registrations', 'check_guarded_fields', 'check_machines', "
        "'check_managers', 'check_transition_names', 'check_transitions']"
    )


def test_the_test_project_has_one_machine_with_unreachable_states() -> None:
    found = check_machines(apps.get_app_configs()) + check_transition_names(apps.get_app_configs())
    # OptimisticAccount shares the bank's status choices but has none of the
    # transitions that freeze or close an account.
    assert [(m.id, m.obj.__name__) for m in found] == [("django_guarded.W004", "OptimisticAccount")]
    assert found[0].msg == (
        "OptimisticAccount.status can never become 'frozen', 'closed': no chain of "
        "transitions leads there from its default ('active')."
    )


@isolate_apps("tests.testapp")
def test_a_sound_machine_passes() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=CHOICES)
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="open")
        def open(self) -> None:
            pass

        @transition(field=state, source="open", target="stuck")
        def block(self) -> None:
            pass

        @transition(field=state, source=["open", "stuck"], target="done")
        def close(self) -> None:
            pass

    assert messages(Order) == []


@isolate_apps("tests.testapp")
def test_e004_default_outside_the_choices() -> None:
    class Order(GuardedModel):
        state = FSMField(default="draft", choices=[("new", "New"), ("done", "Done")])
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="done")
        def close(self) -> None:
            pass

    found = messages(Order)
    assert ids(found) == ["django_guarded.E004", "django_guarded.W004"]
    e004 = next(m for m in found if m.id == "django_guarded.E004")
    assert e004.msg == (
        "Order.state starts in 'draft' (its default), which is not one of its choices."
    )
    assert e004.hint == "Set default= to one of the choices ('new', 'done')."
    assert e004.obj is Order


@isolate_apps("tests.testapp")
def test_w004_state_no_transition_leads_to() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=CHOICES)
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="done")
        def close(self) -> None:
            pass

        @transition(field=state, source="stuck", target="done")
        def unblock(self) -> None:
            pass

    [w004] = messages(Order)
    assert w004.id == "django_guarded.W004"
    assert w004.msg == (
        "Order.state can never become 'open', 'stuck': no chain of transitions leads there "
        "from its default ('new')."
    )
    assert 'Order.guarded_initial_states = {"state": [...]}' in w004.hint


@isolate_apps("tests.testapp")
def test_w004_is_silenced_by_the_states_objects_are_created_in() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=CHOICES[:2] + CHOICES[3:])
        objects = GuardedManager["Order"]()
        guarded_initial_states = {"state": ["open"]}

        class Meta:
            app_label = "testapp"

        @transition(field=state, source=["new", "open"], target="done")
        def close(self) -> None:
            pass

    assert messages(Order) == []


@isolate_apps("tests.testapp")
def test_w004_checks_a_field_without_choices_by_the_states_it_names() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new")
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="done")
        def close(self) -> None:
            pass

        @transition(field=state, source="archived", target="done")
        def restore(self) -> None:
            pass

    assert ids(messages(Order)) == ["django_guarded.W004"]


@isolate_apps("tests.testapp")
def test_w005_a_loop_with_no_way_to_an_end() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=CHOICES)
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="done")
        def close(self) -> None:
            pass

        @transition(field=state, source="new", target="open")
        def open(self) -> None:
            pass

        @transition(field=state, source="open", target="stuck")
        def block(self) -> None:
            pass

        @transition(field=state, source="stuck", target="open")
        def unblock(self) -> None:
            pass

    [w005] = messages(Order)
    assert w005.id == "django_guarded.W005"
    assert w005.msg == (
        "Order.state has no way out of 'open', 'stuck': no chain of transitions leads from "
        "there to an end state ('done')."
    )
    assert 'Order.guarded_final_states = {"state": [...]}' in w005.hint


@isolate_apps("tests.testapp")
def test_w005_a_wildcard_is_a_way_out_and_a_cycle_without_ends_is_fine() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=CHOICES)
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="open")
        def open(self) -> None:
            pass

        @transition(field=state, source="open", target="stuck")
        def block(self) -> None:
            pass

        @transition(field=state, source="stuck", target="open")
        def unblock(self) -> None:
            pass

        @transition(field=state, source="+", target="done")
        def cancel(self) -> None:
            pass

    class Light(GuardedModel):
        state = FSMField(default="red", choices=[("red", "Red"), ("green", "Green")])
        objects = GuardedManager["Light"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="red", target="green")
        def go(self) -> None:
            pass

        @transition(field=state, source="green", target="red")
        def stop(self) -> None:
            pass

    assert messages(Order, Light) == []


@isolate_apps("tests.testapp")
def test_w005_with_declared_ends_finds_dead_ends() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=CHOICES)
        objects = GuardedManager["Order"]()
        guarded_final_states = {"state": ["done"]}

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="open")
        def open(self) -> None:
            pass

        @transition(field=state, source="open", target="stuck")
        def block(self) -> None:
            pass

        @transition(field=state, source="open", target="done")
        def close(self) -> None:
            pass

    [w005] = messages(Order)
    assert w005.id == "django_guarded.W005"
    assert "has no way out of 'stuck'" in w005.msg
    assert "add the state to Order.guarded_final_states" in w005.hint


@isolate_apps("tests.testapp")
def test_e005_an_inherited_transition_replaced_by_a_plain_method() -> None:
    class Base(GuardedModel):
        state = FSMField(default="new", choices=[("new", "New"), ("done", "Done")])

        class Meta:
            abstract = True
            app_label = "testapp"

        @transition(field=state, source="new", target="done")
        def close(self) -> None:
            pass

    class Order(Base):
        objects = GuardedManager["Order"]()

        class Meta:
            app_label = "testapp"

        def close(self) -> None:
            pass

    class Invoice(Base):
        objects = GuardedManager["Invoice"]()

        class Meta:
            app_label = "testapp"

        @transition(field="state", source="new", target="done")
        def close(self) -> None:
            """Overridden as a transition of the same field: fine."""

    found = messages(Order, Invoice)
    assert [(m.id, m.obj) for m in found] == [
        ("django_guarded.W004", Order),  # without its transition, "done" is out of reach
        ("django_guarded.E005", Order),
    ]
    e005 = found[1]
    assert e005.msg == (
        "Order.close replaces the transition Base.close() of state with something that is "
        "not a transition: on Order, close() no longer changes state."
    )
    assert e005.hint == (
        "Decorate Order.close() with @transition(field=state, ...) too, or give it another name."
    )


def _closing(target: str) -> Any:
    @transition(field="state", source="new", target=target)
    def close(self: Any) -> None:
        pass

    return close


@isolate_apps("tests.testapp")
def test_e005_two_transitions_with_one_name() -> None:
    class Order(GuardedModel):
        state = FSMField(
            default="new", choices=[("new", "New"), ("done", "Done"), ("lost", "Lost")]
        )
        objects = GuardedManager["Order"]()
        close = _closing("done")
        lose = _closing("lost")
        finish = close  # an alias is the same transition

        class Meta:
            app_label = "testapp"

    [e005] = messages(Order)
    assert e005.id == "django_guarded.E005"
    assert e005.msg.startswith(
        "Order.close and Order.lose are different transitions of state that are all named close(): "
    )


@isolate_apps("tests.testapp")
def test_e006_declarations_that_name_nothing() -> None:
    class Order(GuardedModel):
        state = FSMField(default="new", choices=[("new", "New"), ("done", "Done")])
        objects = GuardedManager["Order"]()
        guarded_initial_states = {"status": ["new"]}
        guarded_final_states = {"state": ["finished"]}

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="new", target="done")
        def close(self) -> None:
            pass

    class Invoice(GuardedModel):
        state = FSMField(default="new", choices=[("new", "New"), ("done", "Done")])
        objects = GuardedManager["Invoice"]()
        guarded_final_states = ["done"]
        guarded_initial_states = {"state": "new"}

        class Meta:
            app_label = "testapp"

    found = messages(Order, Invoice)
    assert ids(found) == ["django_guarded.E006"] * 4
    assert [m.msg for m in found] == [
        "Order.guarded_initial_states names 'status', which is not a state field of Order "
        "(its state fields: state).",
        "Order.guarded_final_states['state'] lists 'finished', which is not among the "
        "choices of Order.state.",
        "Invoice.guarded_initial_states['state'] is 'new', not a list.",
        "Invoice.guarded_final_states is a list.",
    ]
    assert found[0].hint == (
        'Write guarded_initial_states = {"<state field>": [<states among its choices>]}, '
        'such as guarded_initial_states = {"state": ["done"]}.'
    )


def _documented_examples() -> list[tuple[str, str, str]]:
    """(heading, model code, expected output) of each example in the checks reference."""
    page = (ROOT / "docs" / "reference" / "checks.md").read_text()
    section = page[page.index("## The shape of each machine") :]
    found = []
    for part in re.split(r"\n(?=### )", section)[1:]:
        heading = part.splitlines()[0]
        pairs = re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", part, flags=re.DOTALL)
        found += [(heading, code, expected) for code, expected in pairs]
    return found


def test_every_machine_check_has_a_documented_example() -> None:
    headings = " ".join(heading for heading, _, _ in _documented_examples())
    for check_id in ("E004", "E005", "E006", "W004", "W005"):
        assert f"django_guarded.{check_id}" in headings


@pytest.mark.parametrize(
    ("heading", "code", "expected"),
    _documented_examples(),
    ids=[heading.split("`")[1] for heading, _, _ in _documented_examples()],
)
def test_the_documented_examples_print_what_the_docs_show(
    heading: str, code: str, expected: str
) -> None:
    namespace: dict[str, Any] = {"__name__": "tests.testapp.models"}
    exec("from django_guarded import *\nfrom django.db import models\n", namespace)
    with isolate_apps("tests.testapp"):
        exec(code, namespace)
        defined = [
            value
            for value in namespace.values()
            if isinstance(value, type)
            and issubclass(value, models.Model)
            and value.__module__ == "tests.testapp.models"
            and not value._meta.abstract
        ]
        printed = "\n".join(str(message) for message in messages(*defined))
    assert printed.replace("testapp.", "shop.") == expected.rstrip("\n")
