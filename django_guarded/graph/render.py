"""Drawing a machine: Graphviz DOT (`to_dot`) and Mermaid (`to_mermaid`) text."""

from __future__ import annotations

from typing import Any

from django.db import models

from django_guarded.graph.machine import Machine, describe, state_value

__all__ = ["to_dot", "to_mermaid"]

_HIGHLIGHT_FILL = "#ffe08a"


def _dot_quote(text: Any) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _as_machine(machine: Machine | type[models.Model], field: str | None) -> Machine:
    if isinstance(machine, Machine):
        if field is not None and field != machine.field:
            raise ValueError(
                f"field={field!r} was given with the machine of {machine.label}: "
                "pass a model class to describe another field"
            )
        return machine
    return describe(machine, field)


def to_dot(
    machine: Machine | type[models.Model], field: str | None = None, *, highlight: Any = None
) -> str:
    """Graphviz DOT text of ``machine`` (or of ``describe(model, field)``).

    ``highlight`` is a state to fill in, such as an object's current state.
    Render it with ``dot -Tsvg``.
    """
    machine = _as_machine(machine, field)
    current = state_value(highlight)
    ids = {state.value: f"s{index}" for index, state in enumerate(machine.states)}
    lines = [
        f"digraph {_dot_quote(machine.label)} {{",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]
    for state in machine.states:
        attributes = [f"label={_dot_quote(state.text)}"]
        styles = ["rounded"]
        if state.value in machine.final:
            attributes.append("peripheries=2")
        if not state.declared:
            styles.append("dashed")
            attributes.append('color="#c53030"')
        if highlight is not None and state.value == current:
            styles.append("filled")
            attributes += [f'fillcolor="{_HIGHLIGHT_FILL}"', "penwidth=2"]
        attributes.insert(1, f"style={_dot_quote(','.join(styles))}")
        lines.append(f"    {ids[state.value]} [{', '.join(attributes)}];")
    if any(edge.target is None for edge in machine.edges):
        lines.append('    unknown [label="?", shape=circle];')
    for index, value in enumerate(machine.initial):
        lines.append(f"    start{index} [shape=point, width=0.15];")
        lines.append(f"    start{index} -> {ids[value]};")
    for edge in machine.edges:
        target = "unknown" if edge.target is None else ids[edge.target]
        attributes = [f"label={_dot_quote(edge.label)}"]
        if edge.on_error:
            attributes += ["style=dashed", 'color="#c53030"']
        elif edge.dynamic:
            attributes.append("style=dotted")
        lines.append(f"    {ids[edge.source]} -> {target} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid -----------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    # Mermaid ends a label at "#", ";" or a newline, and a state's name at '"'.
    return text.replace("#", "no. ").replace(";", ",").replace('"', "'").replace("\n", " ").strip()


def to_mermaid(
    machine: Machine | type[models.Model], field: str | None = None, *, highlight: Any = None
) -> str:
    """Mermaid ``stateDiagram-v2`` text of ``machine`` (or of ``describe(model, field)``).

    ``highlight`` is a state to mark, such as an object's current state. Markdown
    renderers with Mermaid (mkdocs-material, GitHub) draw it from a ```` ```mermaid ````
    fence; no program needs to be installed.
    """
    machine = _as_machine(machine, field)
    current = state_value(highlight)
    ids = {state.value: f"s{index}" for index, state in enumerate(machine.states)}
    lines = ["stateDiagram-v2", f"    %% {_mermaid_text(machine.label)}", "    direction LR"]
    for state in machine.states:
        lines.append(f'    state "{_mermaid_text(state.text)}" as {ids[state.value]}')
    if any(edge.target is None for edge in machine.edges):
        lines.append('    state "?" as unknown')
    for value in machine.initial:
        lines.append(f"    [*] --> {ids[value]}")
    for edge in machine.edges:
        target = "unknown" if edge.target is None else ids[edge.target]
        lines.append(f"    {ids[edge.source]} --> {target}: {_mermaid_text(edge.label)}")
    for value in machine.final:
        if value in ids:
            lines.append(f"    {ids[value]} --> [*]")
    undeclared = [ids[state.value] for state in machine.states if not state.declared]
    if undeclared:
        lines.append("    classDef undeclared stroke:#c53030,stroke-dasharray:4 3")
        lines.append(f"    class {','.join(undeclared)} undeclared")
    if highlight is not None and current in ids:
        lines.append(f"    classDef current fill:{_HIGHLIGHT_FILL},stroke:#b7791f,stroke-width:3px")
        lines.append(f"    class {ids[current]} current")
    return "\n".join(lines) + "\n"
