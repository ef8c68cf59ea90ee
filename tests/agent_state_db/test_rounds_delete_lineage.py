"""Rounds (S3.22), delete (S3.21) and lineage edge cases (S3.19, S3.20) on small hand-made stores."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hermes_sessions_agent_state_db import (
    CONVERSATION_ROUND_THRESHOLD,
    agent_messages,
    count_conversation_rounds,
    delete_agent_session,
    lineage_metadata,
    lineage_report,
)

from .helpers import AgentHome

if TYPE_CHECKING:
    from hermes_sessions_core import SessionStore

HEAD, TIP, CHILD = "20260101_000000_aaaaaa", "20260101_010000_bbbbbb", "20260101_020000_cccccc"


def _store(tmp_path: Path, messages: list[tuple], lineage: bool = True) -> Path:
    db = tmp_path / "state.db"
    with sqlite3.connect(db) as connection:
        if lineage:
            connection.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, source TEXT, "
                               "parent_session_id TEXT, started_at REAL, ended_at REAL, "
                               "end_reason TEXT, title TEXT, model_config TEXT)")
            connection.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                (HEAD, "cli", None, 0.0, 100.0, "compression", "Head", None),
                (TIP, "cli", HEAD, 100.0, None, None, None, None),
                (CHILD, "cli", TIP, 150.0, None, None, "Branch", f'{{"_branched_from": "{TIP}"}}'),
            ])
        else:
            connection.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, source TEXT)")
            connection.executemany("INSERT INTO sessions VALUES (?, 'cli')", [(HEAD,), (TIP,)])
        connection.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, session_id TEXT, "
                           "role TEXT, content TEXT, timestamp)")
        connection.executemany(
            "INSERT INTO messages (id, session_id, role, content, timestamp) VALUES (?, ?, ?, ?, ?)",
            messages,
        )
    return db


def test_rounds_count_completed_exchanges_across_segments(tmp_path: Path) -> None:
    """S3.22: consecutive users are one round; a trailing question does not count."""
    db = _store(tmp_path, [
        (1, HEAD, "user", "a", 10.0), (2, HEAD, "user", "a2", 11.0),
        (3, HEAD, "assistant", "b", 12.0), (4, HEAD, "tool", "t", 13.0),
        (5, TIP, "user", "c", 110.0), (6, TIP, "assistant", "d", 111.0),
        (7, TIP, "user", "e", 112.0),
    ])
    assert count_conversation_rounds(db, TIP) == 2
    assert count_conversation_rounds(db, HEAD) == 1
    assert count_conversation_rounds(db, TIP, since=12.0) == 1
    assert CONVERSATION_ROUND_THRESHOLD == 10


def test_rounds_order_ties_by_row_id_and_skip_unparseable_times(tmp_path: Path) -> None:
    """S3.22, S8.2: equal times are ordered by row id; since= drops unparseable times."""
    db = _store(tmp_path, [
        (2, TIP, "assistant", "answer", 120.0), (1, TIP, "user", "question", 120.0),
        (3, TIP, "user", "later", "not a time"), (4, TIP, "assistant", "reply", "not a time"),
    ])
    assert count_conversation_rounds(db, TIP) == 2
    assert count_conversation_rounds(db, TIP, since=50.0) == 1


def test_rounds_on_errors_give_zero(tmp_path: Path) -> None:
    """S3.22: a broken store gives 0."""
    broken = tmp_path / "state.db"
    broken.write_bytes(b"x" * 5000)
    assert count_conversation_rounds(broken, TIP) == 0


def test_delete_keeps_other_children(tmp_path: Path) -> None:
    """S3.21: the tip and its collapsed head go; the branched child stays."""
    db = _store(tmp_path, [(1, HEAD, "user", "a", 10.0), (2, TIP, "user", "b", 110.0),
                           (3, CHILD, "user", "c", 160.0)])
    assert delete_agent_session(db, TIP) is True
    with sqlite3.connect(db) as connection:
        assert [r[0] for r in connection.execute("SELECT id FROM sessions")] == [CHILD]
        assert [r[0] for r in connection.execute("SELECT session_id FROM messages")] == [CHILD]
    assert delete_agent_session(db, TIP) is False
    assert agent_messages(db, CHILD)[0]["content"] == "c"


def test_delete_rolls_back_when_fts_triggers_fail(tmp_path: Path, caplog) -> None:
    """S3.21: a failing FTS trigger rolls everything back, returns False and warns."""
    db = _store(tmp_path, [(1, HEAD, "user", "a", 10.0), (2, TIP, "user", "b", 110.0)])
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages "
                           "BEGIN SELECT RAISE(ABORT, 'no such module: fts5'); END")
    with caplog.at_level(logging.WARNING):
        assert delete_agent_session(db, TIP) is False
    assert "fts5" in caplog.text
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 3
        assert connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 2


def test_lineage_without_lineage_columns(tmp_path: Path) -> None:
    """S3.19, S3.20: without the lineage columns metadata is {} and the report is not found."""
    db = _store(tmp_path, [(1, TIP, "user", "b", 110.0)], lineage=False)
    assert lineage_metadata(db, [TIP]) == {}
    report = lineage_report(db, TIP)
    assert report["found"] is False and report["mutation"] is False
    assert agent_messages(db, TIP)[0]["content"] == "b"


def test_lineage_metadata_chunks_large_id_sets(tmp_path: Path) -> None:
    """S3.19 (#1370): more than 500 ids are read in chunks; unknown ids are skipped."""
    db = _store(tmp_path, [(1, HEAD, "user", "a", 10.0)])
    ids = [f"20260102_000000_{index:06x}" for index in range(1200)] + [TIP, CHILD, HEAD]
    meta = lineage_metadata(db, ids)
    assert set(meta) == {TIP, CHILD}
    assert meta[TIP]["_lineage_root_id"] == HEAD
    assert meta[CHILD]["_parent_lineage_root_id"] == HEAD
    assert meta[CHILD]["parent_title"] is None  # the tip itself is untitled


def test_report_lists_children_and_never_mutates(tmp_path: Path) -> None:
    """S3.20: tip then hidden segments, non-continuation children, mutation false."""
    db = _store(tmp_path, [(1, HEAD, "user", "a", 10.0), (2, TIP, "user", "b", 110.0)])
    report = lineage_report(db, TIP)
    assert report["found"] and report["lineage_key"] == HEAD and report["tip_session_id"] == TIP
    assert [(s["session_id"], s["role"]) for s in report["segments"]] == [
        (TIP, "tip"), (HEAD, "hidden_segment")]
    assert report["segments"][1]["updated_at"] == 100.0 and report["segments"][0]["active"] is True
    assert [(c["session_id"], c["role"]) for c in report["children"]] == [(CHILD, "child_session")]
    assert report["materialized_segments"] == 2 and report["manual_review"] is False
    assert lineage_report(db, "20990101_000000_ffffff")["found"] is False


@pytest.mark.parametrize("ended", [150.0, "garbage"])
def test_parent_ending_after_child_start_is_not_continued(tmp_path: Path, ended: object) -> None:
    """S3.4: ended_at after the child's start, or unreadable, means no continuation."""
    db = _store(tmp_path, [(1, HEAD, "user", "a", 10.0), (2, TIP, "user", "b", 110.0)])
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE sessions SET ended_at = ? WHERE id = ?", (ended, HEAD))
    assert lineage_metadata(db, [TIP])[TIP]["relationship_type"] == "child_session"
    assert [m["content"] for m in agent_messages(db, TIP)] == ["b"]


def test_claude_code_ids_are_never_looked_up(real_small: AgentHome) -> None:
    """S3.18: claude_code_ ids are not agent sessions."""
    assert agent_messages(real_small.db, "claude_code_abc") == []


def _agent_store(tmp_path: Path) -> SessionStore:
    from hermes_sessions_core import SessionStore
    from hermes_sessions_core.locations import Locations
    from hermes_sessions_core.manager import make_plugin_manager

    locations = Locations.from_environment(base_home=tmp_path, state_dir=tmp_path / "webui",
                                           environ={})
    return SessionStore(locations, plugin_manager=make_plugin_manager(entry_points=False))


def test_hook_hermes_sessions_count_rounds(tmp_path: Path) -> None:
    """S3.22 through the store: the profile's agent store answers; unknown ids count 0."""
    _store(tmp_path, [(1, HEAD, "user", "a", 10.0), (2, HEAD, "assistant", "b", 12.0),
                      (3, TIP, "user", "c", 110.0), (4, TIP, "assistant", "d", 111.0)])
    store = _agent_store(tmp_path)
    assert store.count_rounds(TIP, "default") == 2
    assert store.count_rounds(TIP, "default", since=100.0) == 1
    assert store.count_rounds("20990101_000000_ffffff", "default") == 0


def test_agent_delete_is_asked_by_name_only(tmp_path: Path) -> None:
    """S3.21: the agent deletes its own row and collapsed segments when asked by name; the
    store's ordinary delete (the Web UI store's) never reaches it."""
    db = _store(tmp_path, [(1, HEAD, "user", "a", 10.0), (2, TIP, "user", "c", 110.0)])
    store = _agent_store(tmp_path)
    assert store.delete(TIP) is False  # no Web UI file: the agent's rows stay
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 3
    assert store.delete_from_source(TIP, "agent_state_db") is True
    assert store.delete_from_source(TIP, "agent_state_db") is False
    with sqlite3.connect(db) as connection:
        left = {row[0] for row in connection.execute("SELECT id FROM sessions")}
    assert TIP not in left and HEAD not in left
