"""Listing rules that depend on the host's files and the caller's options (S3.13-S3.16, S5.6)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from hermes_sessions_agent_state_db import list_agent_rows

from hermes_sessions_core.models import Session

from .helpers import FIXTURES, AgentHome, agent_ids_through, agent_rows_through, store_over

CRON = "cron_5afbaeed357d_20261123_212026"
#: The stores with the Web UI store, the agent store and the projects keeper.
KEEPER = ("json_fs", "agent_state_db", "cron_projects")


def _ids(home: AgentHome, profile: str = "default", **options: object) -> list[str]:
    listing = list_agent_rows(home.locations, profile, ttl=0, **options)
    return [row.session_id for row in listing.rows]


def _webui_rows(home: AgentHome) -> list[str]:
    with home.connect() as connection:
        return [r[0] for r in connection.execute(
            "SELECT s.id FROM sessions s WHERE s.source = 'webui' AND EXISTS "
            "(SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.active <> 0)"
            "")]


def test_limit_applies_after_projection(current: AgentHome) -> None:
    """S3.14: the limit counts visible rows, not raw sessions; rows sort by tip activity."""
    everything = _ids(current, limit=1000)
    assert _ids(current, limit=5) == everything[:5]
    assert len(_ids(current, limit=20)) == 20


def test_gateway_watcher_excludes_cron_and_webui(current: AgentHome) -> None:
    """S3.14: excluded raw sources are dropped before the limit."""
    listing = list_agent_rows(current.locations, "default", limit=1000, ttl=0,
                              exclude_sources=("cron", "webui"))
    sources = {row["raw_source"] for row in listing.rows}
    assert "cron" not in sources and "webui" not in sources and "cli" in sources


@pytest.fixture(params=["local", "memory"])
def session_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The Web UI store's folder: the state dir's own, or a memory:// one (process-global,
    removed afterwards)."""
    if request.param == "local":
        yield None
        return
    root = f"memory://agent-{uuid.uuid4().hex}"
    yield f"{root}/sessions"
    try:
        fsspec.filesystem("memory").rm(root, recursive=True)
    except FileNotFoundError:
        pass


def test_webui_rows_hide_behind_the_web_ui_stores_session_or_tombstone(
    current: AgentHome, session_url: str | None
) -> None:
    """S3.16, S8.20, issue 16: a webui row lists only while the Web UI store neither holds its
    session nor deleted it; the store answers through the core, on any backend."""
    webui = _webui_rows(current)
    assert len(webui) >= 2
    first, second = webui[:2]
    with store_over(current, session_url) as store:
        assert {first, second} <= agent_ids_through(store)
        store.save(Session(session_id=first, title="Kept in the Web UI",
                           messages=[{"role": "user", "content": "hi", "timestamp": 1.0}]))
        store.delete(second)  # a tombstone, though the Web UI never held the file
        listed = agent_ids_through(store)
        assert first not in listed and second not in listed
        assert listed, "only those two rows are hidden"


def test_a_damaged_web_ui_file_still_hides_its_agent_row(current: AgentHome) -> None:
    """S3.16: a Web UI file that does not parse is still the Web UI's session (its listing
    reports it); the agent's copy does not appear in its place."""
    first = _webui_rows(current)[0]
    sessions = current.state_dir / "sessions"
    sessions.mkdir(parents=True)
    (sessions / f"{first}.json").write_text("{not json", encoding="utf-8")
    with store_over(current) as store:
        assert first not in agent_ids_through(store)


def test_cron_rows_take_the_existing_cron_jobs_project(real_small: AgentHome) -> None:
    """S5.6, STYLE 11: cron rows carry their profile's Cron Jobs project, as the projects
    keeper (cron_projects) answers; the listing never writes projects."""
    projects = real_small.state_dir / "projects.json"
    projects.parent.mkdir(parents=True)
    payload = [
        {"project_id": "aaaaaaaaaaaa", "name": "Cron Jobs", "profile": "work"},
        {"project_id": "bbbbbbbbbbbb", "name": "Cron Jobs", "profile": "default"},
        {"project_id": "cccccccccccc", "name": "cron jobs", "profile": "default"},
    ]
    projects.write_text(json.dumps(payload), encoding="utf-8")
    before = projects.stat().st_mtime_ns
    with store_over(real_small, builtins=KEEPER) as store:
        rows = agent_rows_through(store)
    assert rows[CRON]["project_id"] == "bbbbbbbbbbbb"
    assert rows["20261123_212026_5dae6d"]["project_id"] is None
    assert projects.stat().st_mtime_ns == before
    # Without a keeper nobody knows the project: the agent store never reads the file itself.
    assert {r["project_id"] for r in list_agent_rows(real_small.locations, "default", ttl=0).rows
            if r.session_id == CRON} == {None}


def test_listing_never_creates_projects(real_small: AgentHome) -> None:
    """S5.6, S8.20: without projects.json nothing is created, the keeper asked or not."""
    list_agent_rows(real_small.locations, "default", ttl=0)
    with store_over(real_small, builtins=KEEPER) as store:
        assert agent_rows_through(store)[CRON]["project_id"] is None
    assert not (real_small.state_dir / "projects.json").exists()


def test_cli_visibility_rule(real_small: AgentHome) -> None:
    """S3.13 (#1587): a default-titled CLI row needs 2 user messages, a title or a chain."""
    session = "20261123_212026_e3f24c"
    with real_small.connect() as connection:
        connection.execute("UPDATE sessions SET title = NULL WHERE id = ?", (session,))
        users = connection.execute(
            "SELECT COUNT(*) FROM messages WHERE session_id = ? AND role = 'user' AND active = 1",
            (session,)).fetchone()[0]
    assert (session in _ids(real_small)) == (users >= 2)
    with real_small.connect() as connection:
        connection.execute("UPDATE messages SET active = 0 WHERE session_id = ? AND role = 'user' "
                           "AND id <> (SELECT MIN(id) FROM messages WHERE session_id = ? "
                           "AND role = 'user' AND active = 1)", (session, session))
    assert session not in _ids(real_small)
    with real_small.connect() as connection:
        connection.execute("UPDATE sessions SET title = 'cli session' WHERE id = ?", (session,))
    assert session not in _ids(real_small)
    with real_small.connect() as connection:
        connection.execute("UPDATE sessions SET title = 'A real title' WHERE id = ?", (session,))
    assert session in _ids(real_small)


def test_all_profiles_rows_carry_their_profile(real_small: AgentHome, tmp_path: Path) -> None:
    """S3.16, S6.8: each row's profile is the profile whose state.db it came from."""
    work = real_small.home / "profiles" / "work"
    work.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "generated" / "minimal" / "state.db", work / "state.db")
    default_rows = list_agent_rows(real_small.locations, "default", ttl=0).rows
    work_rows = list_agent_rows(real_small.locations, "work", ttl=0).rows
    assert {r["profile"] for r in default_rows} == {"default"}
    assert {r["profile"] for r in work_rows} == {"work"}
    assert not {r.session_id for r in default_rows} & {r.session_id for r in work_rows}


def test_minimal_schema_without_title_or_activity(tmp_path: Path) -> None:
    """S3.3, S8.26: the oldest schema (no title, text message ids) still lists and opens."""
    home = AgentHome(tmp_path / "hermes", tmp_path / "webui", {})
    home.home.mkdir()
    with sqlite3.connect(home.db) as connection:
        connection.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, source TEXT, started_at REAL)")
        connection.execute("CREATE TABLE messages (id TEXT, session_id TEXT, role TEXT, "
                           "content TEXT, timestamp REAL)")
        connection.execute("INSERT INTO sessions VALUES ('20260101_000000_abcdef', 'cli', 10.0)")
        connection.executemany("INSERT INTO messages VALUES (?, '20260101_000000_abcdef', ?, ?, ?)", [
            ("m1", "user", "first", 11.0), ("m2", "assistant", "ok", 12.0),
            ("m3", "user", "second", 13.0), ("m4", "assistant", "done", 13.0),
        ])
    (row,) = list_agent_rows(home.locations, "default", ttl=0).rows
    assert row["title"] == "Cli Session" and row["message_count"] == 4
    assert row["user_message_count"] == 2 and row["last_message_at"] == 13.0
