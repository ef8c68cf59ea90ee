"""The fixtures every contract of the kit shares, with defaults a plugin author may override.

A test class can combine contracts (``class TestMine(ReadableSourceContract, SearchContract)``);
both then see one ``data_dir``, one ``locations``, one ``settings`` and one ``harness``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pytest

from ..locations import Locations
from .harness import SourceHarness

__all__ = ["SourceFixtures", "isolated_locations"]


def isolated_locations(tmp_path: Path) -> Locations:
    """Hermes locations inside ``tmp_path`` that never read the developer's real homes."""
    return Locations.from_environment(
        base_home=tmp_path / "hermes",
        state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "claude-projects",
        default_workspace=tmp_path / "workspace",
        # The built-in agents' own variables, so none falls back to the developer's ~ (a
        # source reads them from locations.env, never from the process).
        environ={
            "HOME": str(tmp_path / "home"),
            "CODEX_HOME": str(tmp_path / "codex-home"),
            "GEMINI_CLI_HOME": str(tmp_path / "gemini-home"),
            "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        },
    )


class SourceFixtures:
    """``data_dir``, ``locations``, ``settings`` and ``harness``, each overridable."""

    @pytest.fixture
    def data_dir(self, tmp_path: Path) -> Path:
        """A private folder for the source's data; point ``settings`` or ``seed`` at it."""
        folder = tmp_path / "source-data"
        folder.mkdir(exist_ok=True)
        return folder

    @pytest.fixture
    def locations(self, tmp_path: Path) -> Locations:
        """Hermes locations inside ``tmp_path``, blind to the process environment."""
        return isolated_locations(tmp_path)

    @pytest.fixture
    def settings(self) -> Mapping[str, Mapping[str, Any]]:
        """Per-source settings passed in every hook's context (``{source name: {...}}``)."""
        return {}

    @pytest.fixture
    def harness(
        self, plugin: object, locations: Locations, settings: Mapping[str, Mapping[str, Any]]
    ) -> SourceHarness:
        """The plugin under test, called the way a store calls it."""
        return SourceHarness(plugin, locations, settings)
