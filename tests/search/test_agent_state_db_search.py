"""agent_state_db search: the agent's own FTS5 tables (read-only), else a bounded scan."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from hermes_sessions_agent_state_db import clear_cache

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.search import InvalidSearchQuery

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "agent_state_db"


def _store(tmp_path: Path, source: Path, **settings: object) -> SessionStore:
    home = tmp_path / "hermes"
    home.mkdir(exist_ok=True)
    shutil.copyfile(source, home / "state.db")
    clear_cache()
    locations = Locations.from_environment(
        base_home=home, state_dir=tmp_path / "webui", claude_projects_dir=tmp_path / "none",
        environ={},
    )
    return SessionStore(
        locations,
        plugin_manager=make_plugin_manager(builtins=["json_fs", "agent_state_db"], entry_points=False),
        settings={"agent_state_db": dict(settings)},
    )


def _edited_copy(tmp_path: Path, name: str, *statements: tuple[str, tuple[object, ...]]) -> Path:
    """A copy of real_small.db changed by ``statements``, checkpointed so copies see it."""
    target = tmp_path / name
    shutil.copyfile(FIXTURES / "real_small.db", target)
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        for sql, values in statements:
            connection.execute(sql, values)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return target


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_real_database_is_searched_through_its_fts_and_left_untouched(tmp_path: Path) -> None:
    """real_small.db has messages_fts: hits come from it, and the file is never written."""
    store = _store(tmp_path, FIXTURES / "real_small.db")
    database = tmp_path / "hermes" / "state.db"
    before = _digest(database)
    results = store.search("jitter", sources=["agent_state_db"])
    assert results.problems == ()
    assert results.hits and all(h.source == "agent_state_db" for h in results.hits)
    hit = results.hits[0]
    assert "jitter" in hit.snippet.lower() and hit.highlights
    transcript = store.read_messages(hit.session_id)
    assert transcript is not None and hit.position is not None
    assert "jitter" in str(transcript.messages[hit.position]["content"]).lower()
    assert _digest(database) == before


def test_positions_jump_to_the_matched_message_across_chains(tmp_path: Path) -> None:
    """Every hit's position indexes the stitched transcript the host opens."""
    store = _store(tmp_path, FIXTURES / "generated" / "current" / "state.db")
    results = store.search("the", sources=["agent_state_db"], all_profiles=True, limit=25,
                           include_archived=True)
    assert len(results.hits) >= 5
    for hit in results.hits:
        transcript = store.read_messages(hit.session_id)
        assert transcript is not None and hit.position is not None
        text = str(transcript.messages[hit.position].get("content")).lower()
        assert "the" in text, (hit.session_id, hit.position)


def test_without_fts_a_bounded_scan_answers_and_says_so(tmp_path: Path) -> None:
    """No FTS table: the newest messages are scanned; a cut scan is reported."""
    source = _edited_copy(
        tmp_path, "plain.db",
        ("DROP TABLE IF EXISTS messages_fts", ()), ("DROP TABLE IF EXISTS messages_fts_trigram", ()),
    )
    store = _store(tmp_path, source, search_scan_limit=10_000)
    results = store.search("jitter", sources=["agent_state_db"])
    assert results.hits and results.problems == ()
    bounded = _store(tmp_path, source, search_scan_limit=3).search("jitter", sources=["agent_state_db"])
    assert [p.error_type for p in bounded.problems] == ["SearchScanBounded"]


def test_hostile_queries_against_the_agent_index(tmp_path: Path) -> None:
    """FTS syntax from the user never reaches the agent's MATCH as syntax."""
    store = _store(tmp_path, FIXTURES / "real_small.db")
    for text in ['jitter"', "NEAR(jitter", "jitter AND (", "col:jitter", "^jitter", "jitter*"]:
        results = store.search(text, sources=["agent_state_db"])
        assert all(p.error_type != "OperationalError" for p in results.problems), text
    with pytest.raises(InvalidSearchQuery):
        store.search("((()))", sources=["agent_state_db"])


def test_cjk_uses_the_trigram_table(tmp_path: Path) -> None:
    """Text without spaces is found through messages_fts_trigram when the agent has one."""
    with sqlite3.connect(FIXTURES / "real_small.db") as connection:
        session = connection.execute("SELECT session_id, timestamp FROM messages LIMIT 1").fetchone()
    source = _edited_copy(tmp_path, "cjk.db", (
        "INSERT INTO messages(session_id, role, content, timestamp) VALUES (?, 'user', ?, ?)",
        (session[0], "请检查数据库连接池的配置", session[1] + 0.5),
    ))
    store = _store(tmp_path, source)
    hits = store.search("数据库连接", sources=["agent_state_db"], all_profiles=True).hits
    assert len(hits) == 1 and hits[0].position is not None
    # The message's segment heads a chain: the hit names the row's tip (issue 15).
    opened = store.get(hits[0].session_id)
    assert opened.messages[hits[0].position]["content"] == "请检查数据库连接池的配置"
    listed = {row.session_id for row in store.list_sessions(all_profiles=True).rows}
    assert hits[0].session_id in listed


def test_project_filter_and_broken_database(tmp_path: Path) -> None:
    """Agent sessions have no Web UI project; an unreadable state.db is a problem, not a crash."""
    store = _store(tmp_path, FIXTURES / "real_small.db")
    assert store.search("jitter", sources=["agent_state_db"], project_id="p1").hits == ()
    (tmp_path / "hermes" / "state.db").write_bytes(b"garbage" * 1000)
    results = store.search("jitter", sources=["agent_state_db"])
    assert results.hits == () and results.problems
