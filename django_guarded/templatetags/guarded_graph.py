"""``{% load guarded_graph %}``: draw an object's state machine, its current state marked.

``{% guarded_machine obj %}`` renders ``django_guarded/machine.html``: one Mermaid
diagram per state field of ``obj`` (``{% guarded_machine obj "state" %}`` for one).
mermaid.js is loaded only if ``DJANGO_GUARDED["MERMAID_JS"]`` names it; otherwise the
page shows the diagram's text, and loads nothing from anywhere.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.templatetags.static import static

from django_guarded import graph
from django_guarded.conf import guarded_settings

register = template.Library()


def mermaid_script() -> tuple[str | None, bool]:
    """The URL of mermaid.js from the settings, and whether it is an ES module."""
    source = guarded_settings.MERMAID_JS
    if source is None:
        return None, False
    url = source if source.startswith(("http://", "https://", "/")) else static(source)
    return url, source.split("?")[0].endswith(".mjs")


@register.inclusion_tag("django_guarded/machine.html")
def guarded_machine(obj: models.Model | None, field: str | None = None) -> dict[str, Any]:
    """The context of ``machine.html`` for ``obj`` (nothing for ``None``, as on an add page)."""
    machines = []
    if obj is not None:
        model = type(obj)
        fields = graph.state_fields(model)
        names = [field] if field else [f.name for f in fields]
        for name in names:
            machine = graph.describe(model, name)
            attname = next(f.attname for f in fields if f.name == machine.field)
            current = getattr(obj, attname)
            state = machine.state(current)
            machines.append(
                {
                    "label": machine.label,
                    "field": machine.field,
                    "current": state.text if state is not None else current,
                    "mermaid": graph.to_mermaid(machine, highlight=current),
                }
            )
    url, module = mermaid_script()
    return {"machines": machines, "mermaid_js": url, "mermaid_module": module}
