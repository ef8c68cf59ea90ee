"""A source's limits and switches, read once per call from the store's settings.

File-based sources describe their options as a frozen dataclass: positive integers (window
sizes, file caps, budgets) and flags (work only some callers want done). This reads one: the
dataclass defaults, then the store's ``settings[source]``, then explicit overrides. A value
of the wrong kind (a typo, ``True`` for a size, ``0``, a string for a flag) is ignored rather
than raised: a bad setting must not empty the sidebar, and the default is always a safe bound.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .hookspecs import SourceContext

__all__ = ["read_source_settings"]

T = TypeVar("T")


def read_source_settings(
    cls: type[T], source: str, context: SourceContext | None, overrides: dict[str, Any]
) -> T:
    """An instance of the dataclass ``cls`` from defaults, settings and ``overrides``: a field
    whose default is a bool takes bools, every other field positive integers."""
    values: dict[str, Any] = {}
    for spec in fields(cls):  # type: ignore[arg-type]
        value = overrides.get(spec.name)
        if value is None and context is not None:
            value = context.setting(source, spec.name, None)
        if isinstance(spec.default, bool):
            if isinstance(value, bool):
                values[spec.name] = value
        elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
            values[spec.name] = value
    return cls(**values)
