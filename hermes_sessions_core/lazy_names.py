"""Names a plugin package re-exports from its submodules, imported on first use (PEP 562).

A built-in source's package is imported by every store (to register its hooks); what it
re-exports for callers (settings classes, readers) loads only when someone asks for it.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, MutableMapping

__all__ = ["names_on_first_use"]


def names_on_first_use(
    package: str, homes: Mapping[str, str], namespace: MutableMapping[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``homes`` maps each name to the submodule
    that defines it. The first lookup imports that submodule and keeps the value in
    ``namespace`` (the package's ``globals()``), so later lookups never come here.

    Give the package no ``__dir__`` listing these names: pluggy reads every name ``dir()``
    gives when it registers a module, which would import them all.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    return __getattr__
