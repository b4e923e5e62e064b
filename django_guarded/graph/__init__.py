"""State machines as data, and as Graphviz DOT or Mermaid text.

`describe()` reads one state field of a model: its states (the field's choices,
then any other state its default or its transitions name) and one `Edge` per
transition method and source state. Wildcard sources are expanded against the
states (``"*"``: every state, ``"+"``: every state but the target, each only where
the method has no transition of its own), and a ``RETURN_VALUE`` or ``GET_STATE``
target fans out to the states it declares. `to_dot()` and `to_mermaid()`
draw the result; nothing here touches the database.

Which states a machine starts and ends in:

- it starts in the field's default, plus the states a model lists in
  ``guarded_initial_states = {"state": [...]}`` (objects created in them);
- it ends in the states a model lists in ``guarded_final_states = {"state": [...]}``;
  without that, in every state that has no transition of its own to another state
  (transitions from ``"*"`` or ``"+"``, such as a "cancel from anywhere", do not
  count: they leave every state).
"""

from __future__ import annotations

from django_guarded._core.fsm import state_fields
from django_guarded.graph.machine import Edge, Machine, State, describe, machines
from django_guarded.graph.render import to_dot, to_mermaid

__all__ = [
    "Edge",
    "Machine",
    "State",
    "describe",
    "machines",
    "state_fields",
    "to_dot",
    "to_mermaid",
]
