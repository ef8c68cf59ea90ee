"""The agent's state.db on another machine (issue 17): a snapshot refreshed when its size or
mtime changes, listed like a local store with ids scoped to the machine."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.remote_mirror import _MIRRORS
from hermes_sessions_core.store import SessionStore

STATE_DB = Path(__file__).parents[1] / "fixtures" / "agent_state_db" / "generated" / "current"
COMPARED = ("title", "model", "message_count", "created_at", "last_message_at",
            "input_tokens", "output_tokens", "_compression_segment_count")


@pytest.fixture(autouse=True)
def _fresh_mirrors():
    _MIRRORS.clear()
    yield
    _MIRRORS.clear()


def _store(home: Path, roots: list[dict[str, Any]]) -> SessionStore:
    return SessionStore(
        Locations.from_environment(base_home=home / "hermes", state_dir=home / "webui",
                                   claude_projects_dir=home / "none", environ={}),
        plugin_manager=make_plugin_manager(builtins=["agent_state_db"], entry_points=False),
        settings={"agent_state_db": {"roots": roots, "limit": 1000, "cache_ttl": 0},
                  "core": {"remote_cache_dir": str(home / "mirrors")}},
        cli_row_limit=-1,
    )


def _rows(store: SessionStore) -> dict[str, dict[str, Any]]:
    listing = store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
    return {row["session_id"]: dict(row) for row in listing.rows}


@pytest.fixture
def server_home(tmp_path: Path) -> Path:
    home = tmp_path / "server" / ".hermes"
    shutil.copytree(STATE_DB, home)
    return home


def test_the_remote_store_lists_opens_and_refreshes_like_a_local_one(tmp_path, server_home,
                                                                      sftp_server):
    local = _rows(_store(tmp_path / "here", [{"url": str(server_home), "machine": "twin"}]))
    root = {"url": sftp_server.url(server_home), "machine": "server",
            "options": sftp_server.storage_options()}
    store = _store(tmp_path / "b", [root])
    remote = _rows(store)
    assert len(remote) == len(local) > 10
    for session_id, row in remote.items():
        assert session_id.startswith("server__") and row["machine"] == "server"
        assert row["profile"] is None
        twin = local["twin__" + session_id.split("__", 1)[1]]
        assert {k: row.get(k) for k in COMPARED} == {k: twin.get(k) for k in COMPARED}
        for segment in row.get("_lineage_segment_ids") or ():
            assert segment.startswith("server__")

    chained = next(sid for sid, row in remote.items() if row.get("_compression_segment_count"))
    session = store.get(chained)
    assert session.session_id == chained and session.messages
    transcript = store.read_messages(chained)
    assert transcript is not None and transcript.session_id == chained
    assert len(transcript.messages) == len(session.messages)

    (mirror,) = _MIRRORS.values()
    _rows(store)
    assert (mirror.last_sync.requests, mirror.last_sync.copied) == (1, 0)

    head = remote[chained]["_lineage_root_id"].split("__", 1)[1]  # the head names a chain
    connection = sqlite3.connect(server_home / "state.db")  # open: the log stays
    connection.execute("PRAGMA journal_mode=WAL")
    with connection:
        connection.execute("UPDATE sessions SET title = 'Renamed on the server' WHERE id = ?",
                           (head,))
    # SFTP gives whole seconds: a change within the second of the last copy waits for the
    # next one, as with rsync. Here the file is simply a second newer.
    for name in ("state.db", "state.db-wal"):
        stamp = (server_home / name).stat().st_mtime + 2
        os.utime(server_home / name, (stamp, stamp))
    # The change is in the server's write-ahead log (the agent has not checkpointed): the
    # log is copied too, and SQLite applies it.
    assert (server_home / "state.db-wal").stat().st_size > 0
    assert _rows(store)[chained]["title"] == "Renamed on the server"
    assert mirror.last_sync.copied >= 1
    connection.close()


def test_an_ordinary_id_with_two_underscores_is_not_sent_to_a_machine(tmp_path, server_home):
    store = _store(tmp_path, [{"url": str(server_home), "machine": "twin"}])
    from hermes_sessions_core.errors import SessionNotFound

    with pytest.raises(SessionNotFound):
        store.get("nowhere__20260101_000000_abcdef")
