"""The pytest plugin of the conformance kit, registered as ``pytest11: hermes_sessions``.

Installing hermes-sessions makes pytest load this module in every project, so it stays cheap:
it registers the kit's helpers for assertion rewriting and defines a few fixtures, which cost
nothing until a test asks for them. It adds no options, hooks or autouse fixtures.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest

if TYPE_CHECKING:
    from ..locations import Locations
    from ..manager import SessionsPluginManager
    from .harness import SourceHarness

__all__ = [
    "hermes_sessions_locations",
    "hermes_sessions_plugin_manager",
    "hermes_sessions_harness",
]

# Importing this module ran the package's __init__, which registered the kit's helper modules
# for assertion rewriting; the contract classes themselves load only when a test imports them.


@pytest.fixture
def hermes_sessions_locations(tmp_path: Path) -> Locations:
    """Hermes locations inside ``tmp_path`` that never read the developer's real homes."""
    from .fixtures import isolated_locations

    return isolated_locations(tmp_path)


@pytest.fixture
def hermes_sessions_plugin_manager() -> Iterator[SessionsPluginManager]:
    """A fresh plugin manager with no built-ins and no entry points; register what you test."""
    from ..manager import make_plugin_manager

    manager = make_plugin_manager(builtins=(), entry_points=False, environ={})
    yield manager
    for name, plugin in list(manager.list_name_plugin()):
        if plugin is not None:
            manager.unregister(plugin, name=name)


@pytest.fixture
def hermes_sessions_harness(
    hermes_sessions_locations: Locations,
) -> Callable[..., SourceHarness]:
    """Build a :class:`SourceHarness` for any plugin object: ``harness(plugin, settings={})``."""
    from .harness import SourceHarness

    def build(
        plugin: object, settings: Any = None, locations: Locations | None = None
    ) -> SourceHarness:
        return SourceHarness(plugin, locations or hermes_sessions_locations, settings or {})

    return build
