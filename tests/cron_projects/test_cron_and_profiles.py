"""The Cron Jobs project (S5.4-S5.6) and per-profile rules (S5.3)."""

from __future__ import annotations

import json
import re

import pytest
from hermes_sessions_cron_projects import (
    ProjectNotFound,
    ProjectRefused,
    create_project,
    cron_project_id,
    delete_project,
    ensure_cron_project,
    is_cron_session,
    move_session,
    rename_project,
)

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.store import SessionStore


def _stored(locations: Locations) -> list[dict]:
    return json.loads(locations.projects_file.read_text(encoding="utf-8"))


def test_ensure_creates_once_with_the_fixed_shape(locations):
    """S5.4: name exactly `Cron Jobs`, color #6366f1, 12-hex id, profile, created_at."""
    first = ensure_cron_project(locations, "work")
    assert ensure_cron_project(locations, "work") == first
    (project,) = [p for p in _stored(locations) if p["name"] == "Cron Jobs"]
    assert re.fullmatch(r"[0-9a-f]{12}", first) and project["project_id"] == first
    assert project["color"] == "#6366f1" and project["profile"] == "work"
    assert isinstance(project["created_at"], float)
    assert len(_stored(locations)) == 4  # nothing else lost


def test_root_aliases_share_one_project(tmp_path):
    """S5.4, S7.4: a renamed root and `default` share the Cron Jobs project (#1614)."""
    state = tmp_path / "webui"
    locations = Locations.from_environment(base_home=tmp_path, state_dir=state,
                                           root_profile_name="main", environ={})
    assert ensure_cron_project(locations, "main") == ensure_cron_project(locations, "default")
    assert ensure_cron_project(locations, "other") != ensure_cron_project(locations, "main")


def test_legacy_untagged_cron_project_goes_to_the_first_asker(locations):
    legacy = [{"project_id": "cronlegacy01", "name": "Cron Jobs", "color": "#6366f1"}]
    locations.projects_file.write_text(json.dumps(legacy), encoding="utf-8")
    assert cron_project_id(locations, "work") is None  # looking never claims it
    assert ensure_cron_project(locations, "work") == "cronlegacy01"
    assert _stored(locations)[0]["profile"] == "work"
    assert ensure_cron_project(locations, "default") != "cronlegacy01"


def test_is_cron_session():
    """S5.5."""
    assert is_cron_session("cron_abc_1") and is_cron_session("x", "cron")
    assert not is_cron_session("", None) and not is_cron_session(None, "") and not is_cron_session("abc")


def test_listing_never_creates_the_project_and_hides_cron_rows(locations):
    """S5.6, S6.7: the sidebar of a store with a cron session writes no projects.json change."""
    before = locations.projects_file.read_bytes()
    store = SessionStore(locations)
    session = store.new_session(workspace=str(locations.state_dir))
    session.session_id = "cron_job1_20260101"
    session.source_tag = "cron"
    session.messages.append({"role": "user", "content": "run", "timestamp": 1.0})
    store.save(session)
    assert "cron_job1_20260101" not in [r.session_id for r in store.list_sessions().rows]
    assert "cron_job1_20260101" in [r.session_id for r in store.list_sessions(include_cron=True).rows]
    assert [p.name for p in store.dispatcher.projects(store.context(), "default")[0]]
    assert locations.projects_file.read_bytes() == before
    store.close()


def test_projects_are_listed_per_profile_and_new_ones_take_the_active_profile(locations):
    store = SessionStore(locations)

    def listed(profile: str) -> list[str]:
        return [p.project_id for p in store.dispatcher.projects(store.context(), profile)[0]]

    assert listed("work") == ["p2work000002"]
    assert listed("default") == ["p1legacy0001", "p3orphan0003"]  # untagged counts as default
    made = create_project(locations.with_profile("ops"), "Ops")
    assert made["profile"] == "ops" and listed("ops") == [made["project_id"]]


def test_other_profiles_projects_are_refused(locations):
    """S5.3: rename, delete and moving a session into another profile's project are refused."""
    with pytest.raises(ProjectRefused, match="belongs to profile 'work'"):
        rename_project(locations, "p2work000002", "Mine", profile="default")
    with pytest.raises(ProjectRefused):
        delete_project(locations, "p2work000002", profile="default")
    with pytest.raises(ProjectNotFound):
        rename_project(locations, "nope00000000", "x", profile="default")
    store = SessionStore(locations)
    session = store.new_session(workspace=str(locations.state_dir), profile="default")
    session.messages.append({"role": "user", "content": "hi", "timestamp": 1.0})
    store.save(session)
    with pytest.raises(ProjectRefused):
        move_session(store, session.session_id, "p2work000002", profile="default")
    assert rename_project(locations, "p2work000002", "Renamed", profile="work")["name"] == "Renamed"
    store.close()


def test_deleting_a_project_unassigns_sessions_through_store_saves(locations):
    store = SessionStore(locations)
    session = store.new_session(workspace=str(locations.state_dir), profile="work")
    session.messages.append({"role": "user", "content": "hi", "timestamp": 1.0})
    store.save(session)
    move_session(store, session.session_id, "p2work000002", profile="work")
    assert store.get(session.session_id).project_id == "p2work000002"
    assert delete_project(locations, "p2work000002", profile="work", store=store) == [session.session_id]
    assert "p2work000002" not in [p["project_id"] for p in _stored(locations)]
    store.forget(session.session_id)
    assert store.get(session.session_id).project_id is None
    store.close()
