"""A store with only the json_fs source, its search index caught up by hand (sync hourly)."""

from __future__ import annotations

from pathlib import Path

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager


def json_fs_store(tmp_path: Path) -> SessionStore:
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "no-claude", default_workspace=tmp_path / "ws", environ={},
    )
    return SessionStore(
        locations,
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
        settings={"json_fs": {"search_sync_seconds": 3600.0}},
    )
