"""What the index knows about one class, one model and one field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GUARDED_KINDS = frozenset({"guarded", "fsm"})
"""Field kinds that are guarded in every mode (``fsm_ext`` only in fsm mode)."""


@dataclass
class ClassInfo:
    """A class found in a summary and what its bases make it."""

    qualname: str
    record: dict[str, Any]
    is_model: bool = False
    is_manager: bool = False
    guarded_base: bool = False
    bases: list[str] = field(default_factory=list)
    model_bases: list[str] = field(default_factory=list)

    def inherit(self, parent: ClassInfo) -> None:
        """Take over what a resolved base class is."""
        self.is_model |= parent.is_model
        self.is_manager |= parent.is_manager
        self.guarded_base |= parent.guarded_base
        self.bases.append(parent.qualname)
        if parent.is_model:
            self.model_bases.append(parent.qualname)


@dataclass
class FieldInfo:
    """A model field: its kind (``plain``, ``guarded``, ``fsm`` or ``fsm_ext``),
    its relation (``fk``, ``o2o``, ``m2m`` or ``None``) and target reference."""

    name: str
    kind: str
    relation: str | None
    target: str | None
    related_name: str | None
    owner: str
    resolved: str | None = None
    """Target model once resolved; ``""`` when it could not be."""


@dataclass
class ModelInfo:
    """A Django model class as the checker sees it."""

    qualname: str
    name: str
    app_label: str
    abstract: bool
    mro: list[str]
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    attnames: dict[str, FieldInfo] = field(default_factory=dict)
    managers: dict[str, list[str]] = field(default_factory=dict)
    manager_classes: set[str] = field(default_factory=set)
    operations: list[str] = field(default_factory=list)
    """``@operation`` methods of the model's managers and querysets."""
    model_operations: list[str] = field(default_factory=list)
    """``@operation`` methods of the model itself."""
    transitions: dict[str, str | None] = field(default_factory=dict)
    guarded: bool = False

    @classmethod
    def start(cls, info: ClassInfo, app_label: str) -> ModelInfo:
        """A model with nothing inherited yet."""
        meta = info.record.get("meta", {})
        return cls(
            qualname=info.qualname,
            name=info.qualname.rpartition(".")[2],
            app_label=app_label,
            abstract=bool(meta.get("abstract")),
            mro=[info.qualname],
        )

    def inherit(self, parent: ModelInfo) -> None:
        """Take over fields, managers and transitions of a parent model.

        Call it for the bases in reverse order, so the first base wins, as in
        Python's method resolution order.
        """
        self.fields.update(parent.fields)
        self.managers.update(parent.managers)
        self.manager_classes |= parent.manager_classes
        self.operations.extend(op for op in parent.operations if op not in self.operations)
        self.transitions.update(parent.transitions)
        self.model_operations.extend(
            op for op in parent.model_operations if op not in self.model_operations
        )
        self.mro.extend(name for name in parent.mro if name not in self.mro)
        self.guarded |= parent.guarded

    def add_manager(
        self, name: str, classes: list[str], family: tuple[set[str], list[str]]
    ) -> None:
        """Record a manager attribute and the classes whose code may write rows."""
        self.managers[name] = classes
        self.manager_classes |= family[0]
        self.operations.extend(op for op in family[1] if op not in self.operations)

    def finish(self, guarded_base: bool) -> None:
        """Compute what depends on everything else: guardedness and ``*_id`` names."""
        self.guarded = (
            self.guarded
            or guarded_base
            or any(f.kind in GUARDED_KINDS for f in self.fields.values())
        )
        for name, info in self.fields.items():
            if info.relation in ("fk", "o2o"):
                self.attnames[name + "_id"] = info

    def field(self, name: str) -> FieldInfo | None:
        """The field an attribute name writes to (``account_id`` writes ``account``)."""
        return self.fields.get(name) or self.attnames.get(name)

    def transitions_of(self, field_name: str | None) -> list[str]:
        """Names of transition methods for a field (all model methods when none)."""
        named = [m for m, f in self.transitions.items() if f == field_name and f is not None]
        return named or self.methods()

    def methods(self) -> list[str]:
        """Names of the model's transitions and operations."""
        return [*self.transitions, *self.model_operations]

    def has_manager(self, attr: str) -> bool:
        """Whether ``Model.<attr>`` is a manager."""
        return attr in self.managers or attr in ("objects", "_default_manager", "_base_manager")


def app_label_for(qualname: str, record: dict[str, Any]) -> str:
    """Django's default app label for a model class: the package holding ``models``."""
    label = record.get("meta", {}).get("app_label")
    if isinstance(label, str):
        return label
    parts = qualname.split(".")[:-1]
    if "models" in parts:
        where = parts.index("models")
        return parts[where - 1] if where > 0 else parts[0]
    return parts[-2] if len(parts) > 1 else (parts[0] if parts else "")
