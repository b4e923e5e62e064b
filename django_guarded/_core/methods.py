"""What django-guarded knows about a ``@transition`` or ``@operation`` method.

The decorators (in the call engine) attach a `MethodInfo` to the function they
return, as ``method.__guarded__``; every other layer reads it through
`method_info`.
"""

from __future__ import annotations

import dis
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal

__all__ = ["AuditData", "MethodInfo", "method_info"]

#: What ``audit=`` returns: a JSON-serialisable mapping (``DjangoJSONEncoder``:
#: ``Decimal``, ``datetime``, ``UUID`` are fine).
AuditData = Mapping[str, Any]

#: The attribute of a decorated function that holds its `MethodInfo`.
ATTRIBUTE = "__guarded__"


def _empty() -> None:
    pass


def _empty_doc() -> None:
    """A docstring only."""


_EMPTY_CODES = {
    tuple((i.opname, i.argval) for i in dis.get_instructions(f)) for f in (_empty, _empty_doc)
}


def _has_empty_body(func: Any) -> bool:
    """Whether ``func``'s body is only ``pass``, ``...`` and/or a docstring."""
    code = getattr(func, "__code__", None)
    if code is None:
        return False
    return tuple((i.opname, i.argval) for i in dis.get_instructions(code)) in _EMPTY_CODES


class MethodInfo:
    """What django-guarded knows about a decorated method (``method.__guarded__``)."""

    __slots__ = (
        "accepts_asof",
        "accepts_by",
        "audit",
        "empty_body",
        "func",
        "kind",
        "lock",
        "run_bulk",
    )

    def __init__(
        self,
        kind: Literal["transition", "operation"],
        func: Callable[..., Any],
        lock: bool,
        audit: Callable[..., AuditData] | None = None,
    ) -> None:
        self.kind = kind
        self.func = func
        self.lock = lock
        #: Computes the data of the method's audit record from its arguments.
        self.audit = audit
        parameters = inspect.signature(func).parameters
        #: The method declares ``asof``: it always receives the time of its record.
        self.accepts_asof = "asof" in parameters
        self.accepts_by = any(
            p.name == "by" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )
        #: The body is only ``pass`` or a docstring: it cannot run SQL.
        self.empty_body = _has_empty_body(func)
        #: Runs the transition on a whole queryset (set by the engine for transitions).
        self.run_bulk: Callable[..., int] | None = None

    @property
    def name(self) -> str:
        """The method's name."""
        return self.func.__name__


def method_info(attr: Any) -> MethodInfo | None:
    """The `MethodInfo` of a decorated method (or of the function behind it), if any."""
    info = getattr(attr, ATTRIBUTE, None)
    return info if isinstance(info, MethodInfo) else None
