"""``manage.py guarded_graph``: draw state machines as Graphviz DOT or Mermaid.

Without labels it draws every machine of the project. Nothing is read from the
database, and Mermaid needs no program installed: paste the text into a Markdown
page with a ```` ```mermaid ```` fence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_guarded import graph

FORMATS = ("mermaid", "dot", "markdown")


def render(machines: list[graph.Machine], fmt: str) -> str:
    """The text ``guarded_graph --format fmt`` writes for ``machines``."""
    if fmt == "dot":
        return "\n".join(graph.to_dot(machine) for machine in machines)
    if fmt == "mermaid":
        return "\n".join(graph.to_mermaid(machine) for machine in machines)
    return "\n".join(
        f"## {machine.label}\n\n```mermaid\n{graph.to_mermaid(machine)}```\n"
        for machine in machines
    )


class Command(BaseCommand):
    help = (
        "Draw the state machines of the named models (default: all) as Mermaid or "
        "Graphviz DOT: states, and transitions labelled with their method names, "
        "permissions and conditions."
    )
    # A machine that fails the system checks is the one most worth drawing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "labels",
            nargs="*",
            metavar="app_label[.Model[.field]]",
            help="The machines to draw (default: every state field of every model).",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="mermaid",
            help=(
                "mermaid (default): one stateDiagram-v2 per machine; dot: one Graphviz "
                "digraph per machine (render with dot -Tsvg); markdown: a heading and a "
                "mermaid fence per machine."
            ),
        )
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE instead of the standard output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            machines = graph.machines(options["labels"])
        except LookupError as error:
            raise CommandError(str(error.args[0])) from None
        if not machines:
            where = " ".join(options["labels"]) or "the installed apps"
            raise CommandError(
                f"No state machine in {where}: a machine is a model field declared with "
                "FSMField, FSMIntegerField or FSMKeyField"
            )
        text = render(machines, options["format"])
        output = options["output"]
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror}") from None
            if options["verbosity"] > 0:
                self.stderr.write(f"Wrote {len(machines)} machine(s) to {output}.")
        else:
            self.stdout.write(text, ending="")
