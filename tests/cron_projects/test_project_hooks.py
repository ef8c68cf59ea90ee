"""The project-store hooks through SessionStore: stored projects, replace, ensure Cron Jobs (S5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hermes_sessions_cron_projects import ProjectsFileUnreadable

from hermes_sessions_core import SessionStore
from hermes_sessions_core.errors import HermesSessionsError, InvalidProjectId
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager

from .conftest import LEGACY


def _store(locations: Locations, **json_fs_settings: object) -> SessionStore:
    return SessionStore(locations, plugin_manager=make_plugin_manager(entry_points=False),
                        settings={"json_fs": json_fs_settings} if json_fs_settings else None)


def test_hook_hermes_sessions_stored_projects(locations: Locations) -> None:
    """S5.2: the first migrating read of a store back-fills untagged projects from the index;
    a plain read returns the file as stored."""
    store = _store(locations)
    assert store.stored_projects(migrate=False) == LEGACY
    tagged = {p["project_id"]: p["profile"] for p in store.stored_projects()}
    assert tagged == {"p1legacy0001": "work", "p2work000002": "work", "p3orphan0003": "default"}
    assert json.loads(locations.projects_file.read_text())[0]["profile"] == "work"


def test_stored_projects_read_the_index_the_host_names(
    locations: Locations, tmp_path: Path
) -> None:
    """A host that keeps its index elsewhere (the Web UI's SESSION_INDEX_FILE) names it to the
    Web UI store, which answers from there."""
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps([{"session_id": "s9", "project_id": "p1legacy0001",
                                      "profile": "haku"}]), encoding="utf-8")
    store = _store(locations, index_file=str(elsewhere))
    assert store.stored_projects()[0]["profile"] == "haku"


def test_hook_hermes_sessions_replace_projects(locations: Locations) -> None:
    """S5.1, S8.8: the list is replaced whole; a bad id or an unreadable file is refused and
    leaves the file byte for byte."""
    store = _store(locations)
    store.replace_projects([{"project_id": "only1", "name": "Only"}])
    assert json.loads(locations.projects_file.read_text()) == [{"project_id": "only1",
                                                                 "name": "Only"}]
    before = locations.projects_file.read_bytes()
    with pytest.raises(InvalidProjectId):
        store.replace_projects([{"project_id": "../x", "name": "Bad"}])
    assert locations.projects_file.read_bytes() == before
    locations.projects_file.write_text("[{not json", encoding="utf-8")
    with pytest.raises(ProjectsFileUnreadable):
        store.replace_projects([])
    assert locations.projects_file.read_text() == "[{not json"


def test_hook_hermes_sessions_ensure_cron_project(locations: Locations) -> None:
    """S5.4: created once per profile, then found; a store without the plugin says so."""
    store = _store(locations)
    first = store.ensure_cron_project("default")
    assert store.ensure_cron_project("default") == first
    assert store.ensure_cron_project("work") != first
    names = [p["name"] for p in json.loads(locations.projects_file.read_text())]
    assert names.count("Cron Jobs") == 2
    bare = SessionStore(locations, plugin_manager=make_plugin_manager(
        entry_points=False, builtins=["json_fs"]))
    with pytest.raises(HermesSessionsError, match="no plugin keeps projects"):
        bare.ensure_cron_project("default")
