"""A source's numeric limits, read once per call from the store's settings.

File-based sources describe their limits as a frozen dataclass of positive integers (window
sizes, file caps, budgets); this reads one: the dataclass defaults, then the store's
``settings[source]``, then explicit overrides. A value that is not a positive integer (a
typo, ``True``, a string) is ignored rather than raised: a bad setting must not empty the
sidebar, and the default is always a safe bound.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .hookspecs import SourceContext

__all__ = ["positive_int_settings"]

T = TypeVar("T")


def positive_int_settings(
    cls: type[T], source: str, context: SourceContext | None, overrides: dict[str, Any]
) -> T:
    """An instance of the dataclass ``cls`` from defaults, settings and ``overrides``."""
    values: dict[str, Any] = {}
    for spec in fields(cls):  # type: ignore[arg-type]
        value = overrides.get(spec.name)
        if value is None and context is not None:
            value = context.setting(source, spec.name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            values[spec.name] = value
    return cls(**values)
