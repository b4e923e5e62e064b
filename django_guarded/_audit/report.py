"""What verifying the trail finds: its problems, its counts and its notes."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Problem", "Report"]


@dataclass(frozen=True)
class Problem:
    """One way an object disagrees with its audit trail."""

    model: str
    object_pk: str
    message: str

    def __str__(self) -> str:
        return f"{self.model} pk={self.object_pk}: {self.message}"


@dataclass
class Report:
    """What `verify()` found."""

    problems: list[Problem] = field(default_factory=list)
    #: Objects whose records were checked against their row.
    objects: int = 0
    #: Of those, the state fields compared with their last record.
    states: int = 0
    #: Objects whose rows their own methods deleted, as their last record says.
    deleted: int = 0
    unknown_models: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    #: What could not be checked, and why (not problems: nothing is known to be wrong).
    notes: list[str] = field(default_factory=list)
