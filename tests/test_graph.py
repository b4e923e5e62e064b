"""Machines as data (``django_guarded.graph``), drawn as DOT and Mermaid, and the
``guarded_graph`` command that writes them."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test.utils import isolate_apps

from django_guarded import RETURN_VALUE, FSMField, GuardedManager, GuardedModel, graph, transition
from django_guarded.graph import Edge, State
from django_guarded.management.commands.guarded_graph import render
from tests.testapp.models import (
    Account,
    Claim,
    Document,
    DocumentState,
    Invoice,
    Pickup,
    Seat,
    TrafficLight,
)

ROOT = Path(__file__).resolve().parent.parent


def edges(machine: graph.Machine) -> set[tuple[Any, Any, str]]:
    return {(edge.source, edge.target, edge.label) for edge in machine.edges}


# -- describe() ----------------------------------------------------------------------------


def test_states_come_from_the_choices_in_their_order() -> None:
    machine = graph.describe(Pickup)
    assert machine.label == "testapp.Pickup.state"
    assert [state.value for state in machine.states] == [
        "request",
        "waiting",
        "to_airport",
        "to_hotel",
        "dropped_off",
        "failed",
    ]
    assert all(state.declared for state in machine.states)
    assert machine.initial == ("request",)


def test_an_edge_per_method_and_source_with_permission_and_conditions() -> None:
    assert edges(graph.describe(Invoice)) == {
        ("new", "approved", "approve [needs testapp.approve_invoice] [if has_title]"),
        ("approved", "paid", "pay"),
    }
    pay = next(edge for edge in graph.describe(Claim).edges if edge.method == "pay")
    assert pay.permission == "may_pay"  # a permission check is named by its function


def test_wildcard_sources_are_expanded_against_the_states() -> None:
    machine = graph.describe(Pickup)
    abandon = {(e.source, e.target) for e in machine.edges if e.method == "abandon"}
    # "+": every state but the target itself.
    assert abandon == {
        (s, "failed") for s in ("request", "waiting", "to_airport", "to_hotel", "dropped_off")
    }
    reopen = {e.source for e in graph.describe(Claim).edges if e.method == "reopen"}
    assert reopen == {s.value for s in graph.describe(Claim).states}  # "*": every state
    assert all(e.wildcard for e in machine.edges if e.method == "abandon")


def test_dynamic_targets_fan_out_to_the_states_they_declare() -> None:
    machine = graph.describe(Pickup)
    reset = {(e.source, e.target) for e in machine.edges if e.method == "reset"}
    assert ("to_hotel", "request") in reset
    assert ("to_hotel", "failed") in reset
    assert len(reset) == 2 * len(machine.states)
    triage = {(e.source, e.target) for e in machine.edges if e.method == "triage"}
    assert triage == {("request", "waiting"), ("request", "request")}
    assert all(e.dynamic for e in machine.edges if e.method in ("reset", "triage"))


def test_on_error_is_an_edge_of_its_own() -> None:
    machine = graph.describe(Pickup)
    assert Edge("to_hotel", "failed", "dropped_off", on_error=True) in machine.edges
    assert Edge("to_hotel", "dropped_off", "dropped_off") in machine.edges


def test_final_states_are_those_without_a_transition_of_their_own() -> None:
    # Pickup's "*" reset and "+" abandon leave every state; they do not count.
    assert graph.describe(Pickup).final == ("dropped_off", "failed")
    assert graph.describe(Account).final == ("signedup",)
    assert graph.describe(TrafficLight).final == ()  # a cycle has no end


def test_integer_states_show_their_labels() -> None:
    machine = graph.describe(TrafficLight)
    assert [state.text for state in machine.states] == ["0 (stop)", "1 (go)", "2 (caution)"]
    assert State("signedup", "Signed up").text == "signedup"  # the label adds nothing


def test_a_state_table_field_takes_its_states_from_default_and_transitions() -> None:
    machine = graph.describe(Document)
    assert [(s.value, s.declared) for s in machine.states] == [
        ("draft", True),
        ("published", True),
    ]
    assert machine.initial == ("draft",)


@isolate_apps("tests.testapp")
def test_explicit_sources_win_over_wildcards_and_no_target_keeps_the_state() -> None:
    class Ticket(GuardedModel):
        state = FSMField(default="open", choices=[("open", "Open"), ("closed", "Closed")])
        objects = GuardedManager["Ticket"]()

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="open", target="closed")
        @transition(field=state, source="*", target="open")
        def toggle(self) -> None:
            pass

        @transition(field=state, source="open")
        def comment(self) -> None:
            pass

        @transition(field=state, source="closed", target=RETURN_VALUE())
        def reopen(self) -> str:
            return "open"

        @transition(field=state, source="open", target="lost")
        def lose(self) -> None:
            pass

    machine = graph.describe(Ticket)
    assert edges(machine) == {
        ("open", "closed", "toggle"),
        ("closed", "open", "toggle"),
        ("open", "open", "comment"),
        ("closed", None, "reopen (dynamic)"),
        ("open", "lost", "lose"),
        ("lost", "open", "toggle"),  # "*" is any state, a stray one too
    }
    assert machine.state("lost") == State("lost", "lost", declared=False)
    mermaid = graph.to_mermaid(machine)
    assert 'state "?" as unknown' in mermaid
    assert "s1 --> unknown: reopen (dynamic)" in mermaid
    assert "class s2 undeclared" in mermaid


@isolate_apps("tests.testapp")
def test_declared_initial_and_final_states() -> None:
    class Order(GuardedModel):
        state = FSMField(
            default="new", choices=[("new", "New"), ("imported", "Imported"), ("done", "Done")]
        )
        objects = GuardedManager["Order"]()
        guarded_initial_states = {"state": ["imported"]}
        guarded_final_states = {"state": ["done"]}

        class Meta:
            app_label = "testapp"

        @transition(field=state, source=["new", "imported"], target="done")
        def finish(self) -> None:
            pass

        @transition(field=state, source="done", target="new")
        def redo(self) -> None:
            pass

    machine = graph.describe(Order)
    assert machine.initial == ("new", "imported")
    assert machine.final == ("done",)
    assert machine.final_declared


def test_describe_says_what_to_name() -> None:
    with pytest.raises(ValueError, match="testapp.Seat has no state field"):
        graph.describe(Seat)
    with pytest.raises(ValueError, match="has no state field 'status': its state fields are state"):
        graph.describe(Pickup, "status")


@isolate_apps("tests.testapp")
def test_a_model_with_two_machines_needs_the_field_named() -> None:
    class Parcel(GuardedModel):
        state = FSMField(default="new")
        payment = FSMField(default="unpaid")

        class Meta:
            app_label = "testapp"

    with pytest.raises(ValueError, match=r"several state fields \(state, payment\)"):
        graph.describe(Parcel)
    assert graph.describe(Parcel, "payment").initial == ("unpaid",)


# -- Rendering ------------------------------------------------------------------------------


def test_mermaid_of_a_small_machine() -> None:
    assert graph.to_mermaid(Invoice, highlight="approved") == (
        "stateDiagram-v2\n"
        "    %% testapp.Invoice.state\n"
        "    direction LR\n"
        '    state "new" as s0\n'
        '    state "approved" as s1\n'
        '    state "paid" as s2\n'
        "    [*] --> s0\n"
        "    s0 --> s1: approve [needs testapp.approve_invoice] [if has_title]\n"
        "    s1 --> s2: pay\n"
        "    s2 --> [*]\n"
        "    classDef current fill:#ffe08a,stroke:#b7791f,stroke-width:3px\n"
        "    class s1 current\n"
    )


def test_dot_of_a_small_machine() -> None:
    assert graph.to_dot(graph.describe(Invoice), highlight="new") == (
        'digraph "testapp.Invoice.state" {\n'
        "    rankdir=LR;\n"
        '    node [shape=box, style=rounded, fontname="Helvetica"];\n'
        '    edge [fontname="Helvetica", fontsize=10];\n'
        '    s0 [label="new", style="rounded,filled", fillcolor="#ffe08a", penwidth=2];\n'
        '    s1 [label="approved", style="rounded"];\n'
        '    s2 [label="paid", style="rounded", peripheries=2];\n'
        "    start0 [shape=point, width=0.15];\n"
        "    start0 -> s0;\n"
        '    s0 -> s1 [label="approve [needs testapp.approve_invoice] [if has_title]"];\n'
        '    s1 -> s2 [label="pay"];\n'
        "}\n"
    )


def test_dot_marks_errors_and_dynamic_targets() -> None:
    dot = graph.to_dot(Pickup)
    assert '[label="dropped_off (on error)", style=dashed, color="#c53030"]' in dot
    assert '[label="reset (dynamic)", style=dotted]' in dot
    assert "fillcolor" not in dot  # nothing highlighted


def test_highlight_takes_enum_members_and_rows() -> None:
    assert "class s1 current" in graph.to_mermaid(Pickup, highlight=Pickup.State.WAITING)
    row = DocumentState(id="draft", label="Draft")
    assert "class s0 current" in graph.to_mermaid(Document, highlight=row)
    assert "current" not in graph.to_mermaid(Invoice, highlight="nowhere")


@isolate_apps("tests.testapp")
def test_labels_cannot_break_the_diagram_text() -> None:
    class Note(GuardedModel):
        state = FSMField(default="a", choices=[("a", 'Say "hi"; #1'), ("b", "B")])

        class Meta:
            app_label = "testapp"

        @transition(field=state, source="a", target="b", permission="x.y#z;w")
        def go(self) -> None:
            pass

    mermaid = graph.to_mermaid(Note)
    assert "state \"a (Say 'hi', no. 1)\" as s0" in mermaid
    assert "s0 --> s1: go [needs x.yno. z,w]" in mermaid
    assert '"a (Say \\"hi\\"; #1)"' in graph.to_dot(Note)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot program")
def test_graphviz_reads_every_machine_of_the_test_project(tmp_path: Path) -> None:
    source = tmp_path / "machines.dot"
    source.write_text(render(graph.machines(), "dot"))
    result = subprocess.run(
        ["dot", "-Tsvg", str(source)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("<svg") == len(graph.machines())


# -- machines() and the command -------------------------------------------------------------


def test_machines_lists_each_field_where_it_is_declared() -> None:
    labels = [machine.label for machine in graph.machines()]
    assert "testapp.Invoice.state" in labels
    assert "testapp.ForeignInvoice.state" not in labels  # the parent's field
    assert "testapp.ArchivedInvoice.state" not in labels  # a proxy
    assert "bank.Card.state" in labels
    assert [m.label for m in graph.machines(["testapp.ForeignInvoice"])] == [
        "testapp.ForeignInvoice.state"
    ]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("guarded_graph", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_writes_mermaid_by_default() -> None:
    assert run("testapp.Invoice") == graph.to_mermaid(Invoice)
    output = run("testapp.Invoice", "testapp.Pickup.state")
    assert output == graph.to_mermaid(Invoice) + "\n" + graph.to_mermaid(Pickup)


def test_command_writes_dot_and_markdown() -> None:
    assert run("testapp.Invoice", "--format", "dot") == graph.to_dot(Invoice)
    markdown = run("bank", "--format", "markdown")
    assert markdown.startswith("## bank.Account.status\n\n```mermaid\nstateDiagram-v2\n")
    assert markdown.count("```mermaid") == 3


def test_command_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "invoice.dot"
    assert run("testapp.Invoice", "--format", "dot", "--output", str(target)) == ""
    assert target.read_text() == graph.to_dot(Invoice)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["shop"], "No installed app with label 'shop' (from 'shop'): the installed apps are "),
        (["testapp.Nope"], "App 'testapp' has no model 'Nope' (from 'testapp.Nope'): its models"),
        (["testapp.Seat"], "testapp.Seat has no state field (FSMField, FSMIntegerField or"),
        (["testapp.Pickup.x"], "testapp.Pickup has no state field 'x': its state fields are state"),
        (["a.b.c.d"], "'a.b.c.d' is not a machine label: write app_label, app_label.Model or"),
        (["auth"], "No state machine in auth: a machine is a model field declared with FSMField"),
    ],
)
def test_command_errors_say_what_to_write(labels: list[str], message: str) -> None:
    with pytest.raises(CommandError) as caught:
        run(*labels)
    assert str(caught.value).startswith(message)


def test_command_reports_a_file_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot write .*: No such file or directory"):
        run("testapp.Invoice", "--output", str(tmp_path / "missing" / "x.mmd"))


def test_the_seed_diagrams_in_the_docs_are_the_demo_machines() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "demo.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "guarded_graph", "bank", "signup", "pickup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    drawn = re.split(r"\n(?=stateDiagram-v2\n)", result.stdout)
    page = (ROOT / "docs" / "reference" / "diagrams.md").read_text()
    documented = re.findall(r"```mermaid\n(.*?)```", page, flags=re.DOTALL)
    assert [d.strip() for d in documented] == [d.strip() for d in drawn]


# -- The template tag -----------------------------------------------------------------------


def render_tag(obj: Any) -> str:
    return Template("{% load guarded_graph %}{% guarded_machine obj %}").render(
        Context({"obj": obj})
    )


def test_template_shows_the_diagram_text_and_loads_no_script() -> None:
    html = render_tag(Pickup(state="waiting"))
    assert "<summary>testapp.Pickup.state: now <strong>waiting</strong>" in html
    assert '<pre class="mermaid">stateDiagram-v2\n' in html
    assert "s1 --&gt; s2: accept" in html
    assert "class s1 current" in html
    assert "<script" not in html


def test_template_loads_mermaid_from_the_setting(settings: Any) -> None:
    settings.DJANGO_GUARDED = {"MERMAID_JS": "vendor/mermaid.esm.min.mjs"}
    html = render_tag(Document(state_id="draft"))
    assert '<figure class="guarded-machine" data-machine="testapp.Document.state">' in html
    assert 'import mermaid from "/static/vendor/mermaid.esm.min.mjs";' in html
    settings.DJANGO_GUARDED = {"MERMAID_JS": "https://cdn.example/mermaid.min.js"}
    html = render_tag(Document(state_id="draft"))
    assert '<script src="https://cdn.example/mermaid.min.js"></script>' in html


def test_template_draws_nothing_without_an_object() -> None:
    assert render_tag(None).strip() == ""


@pytest.mark.parametrize("value", ["", 3])
def test_a_wrong_mermaid_setting_says_what_to_write(settings: Any, value: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.DJANGO_GUARDED = {"MERMAID_JS": value}
    with pytest.raises(ImproperlyConfigured, match='write "MERMAID_JS": "vendor/mermaid.min.js"'):
        render_tag(Invoice())
