"""Connections closed, the listing cache (S3.2, S3.23, S8.9) and bounded queries (S3.7)."""

from __future__ import annotations

import sqlite3
import threading
import time

import hermes_sessions_agent_state_db.connection as connection_module
from hermes_sessions_agent_state_db import (
    agent_messages,
    count_conversation_rounds,
    delete_agent_session,
    lineage_metadata,
    lineage_report,
    list_agent_rows,
)
from hermes_sessions_agent_state_db.cache import TtlLruCache

from .helpers import AgentHome, open_fds

TIP = "20261123_212026_5dae6d"


def test_every_connection_is_closed(real_small: AgentHome, tmp_path) -> None:
    """S3.2 (#1494): no call leaves a file descriptor open, on success or on error."""
    list_agent_rows(real_small.locations, "default", ttl=0)  # sidecars exist from here on
    before = open_fds()
    for _ in range(5):
        list_agent_rows(real_small.locations, "default", ttl=0)
        agent_messages(real_small.db, TIP)
        lineage_metadata(real_small.db, [TIP])
        lineage_report(real_small.db, TIP)
        count_conversation_rounds(real_small.db, TIP)
        delete_agent_session(real_small.db, "20991231_000000_ffffff")
    assert open_fds() == before
    broken = tmp_path / "broken" / "state.db"
    broken.parent.mkdir()
    broken.write_bytes(b"garbage" * 1000)
    for _ in range(3):
        agent_messages(broken, TIP)
        lineage_report(broken, TIP)
        count_conversation_rounds(broken, TIP)
        delete_agent_session(broken, TIP)
    assert open_fds() == before


def test_cached_listing_is_reused_and_copied(real_small: AgentHome, monkeypatch) -> None:
    """S3.23: within the TTL one rebuild serves callers; each gets rows it alone holds."""
    opened = []
    original = connection_module._open
    monkeypatch.setattr(connection_module, "_open", lambda *a: opened.append(a) or original(*a))
    first = list_agent_rows(real_small.locations, "default")
    first = list_agent_rows(real_small.locations, "default")  # sidecars now exist: stable key
    count = len(opened)
    second = list_agent_rows(real_small.locations, "default")
    assert len(opened) == count
    row_a = next(r for r in first.rows if r.session_id == TIP)
    row_b = next(r for r in second.rows if r.session_id == TIP)
    assert row_a == row_b and row_a is not row_b
    assert row_a["_lineage_segment_ids"] is not row_b["_lineage_segment_ids"]
    row_a["_lineage_segment_ids"].append("tampered")
    third = list_agent_rows(real_small.locations, "default")
    assert "tampered" not in next(r for r in third.rows if r.session_id == TIP)["_lineage_segment_ids"]


def test_wal_change_forces_a_rescan(real_small: AgentHome) -> None:
    """S3.23: the key covers state.db, -wal and -shm, so a committed write shows at once."""
    list_agent_rows(real_small.locations, "default")
    with real_small.connect() as writer:
        writer.execute("UPDATE sessions SET title = 'Renamed by the agent' WHERE id = ?",
                       ("20261123_212026_e3f24c",))
    titles = {r.session_id: r["title"] for r in list_agent_rows(real_small.locations, "default").rows}
    assert titles["20261123_212026_e3f24c"] == "Renamed by the agent"


def test_ttl_zero_disables_and_clear_empties() -> None:
    """S3.23: a TTL of 0 rebuilds every time; clear() forgets everything."""
    cache: TtlLruCache[int] = TtlLruCache()
    calls = []
    assert cache.get_or_build("k", 0, lambda: calls.append(1) or len(calls)) == 1
    assert cache.get_or_build("k", 0, lambda: calls.append(1) or len(calls)) == 2
    assert cache.get_or_build("k", 5, lambda: 7) == 7
    assert cache.get_or_build("k", 5, lambda: 8) == 7
    cache.clear()
    assert cache.get_or_build("k", 5, lambda: 9) == 9


def test_ttl_expiry() -> None:
    """S3.23: an entry older than its TTL is rebuilt."""
    cache: TtlLruCache[int] = TtlLruCache()
    assert cache.get_or_build("k", 0.05, lambda: 1) == 1
    time.sleep(0.08)
    assert cache.get_or_build("k", 0.05, lambda: 2) == 2


def test_at_most_eight_keys_in_lru_order() -> None:
    """S3.23, S8.9: the ninth key evicts the least recently used one."""
    cache: TtlLruCache[str] = TtlLruCache()
    for index in range(8):
        cache.get_or_build(index, 60, lambda index=index: f"v{index}")
    cache.get_or_build(0, 60, lambda: "rebuilt")  # touch 0: key 1 is now the oldest
    cache.get_or_build(8, 60, lambda: "v8")
    assert len(cache) == 8
    assert cache.get_or_build(0, 60, lambda: "rebuilt") == "v0"
    assert cache.get_or_build(1, 60, lambda: "rebuilt") == "rebuilt"


def test_same_key_callers_share_one_rebuild_outside_the_lock() -> None:
    """S3.23, S8.9 (#4842): concurrent callers of one key wait for one build; other keys pass."""
    cache: TtlLruCache[str] = TtlLruCache()
    release = threading.Event()
    started = threading.Event()
    builds = []

    def slow() -> str:
        builds.append(1)
        started.set()
        release.wait(5)
        return "slow"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_build("a", 60, slow)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    assert started.wait(5)
    assert cache.get_or_build("b", 60, lambda: "fast") == "fast"  # not blocked by the rebuild
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == ["slow"] * 4 and len(builds) == 1


def test_failed_build_is_not_cached() -> None:
    """S3.23: an error reaches the caller and the next call rebuilds."""
    cache: TtlLruCache[int] = TtlLruCache()

    def boom() -> int:
        raise RuntimeError("boom")

    try:
        cache.get_or_build("k", 60, boom)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the build error was swallowed")
    assert cache.get_or_build("k", 60, lambda: 3) == 3


def test_listing_queries_use_indexes_only(current: AgentHome, monkeypatch) -> None:
    """S3.7, S8.10: no listing query scans the messages table; sessions only via an index."""
    statements: list[str] = []
    original = connection_module._open

    def traced(*args):
        connection = original(*args)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(connection_module, "_open", traced)
    list_agent_rows(current.locations, "default", ttl=0)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 3
    with sqlite3.connect(current.db) as explain:
        for statement in selects:
            plan = " | ".join(row[3] for row in explain.execute("EXPLAIN QUERY PLAN " + statement))
            assert "SCAN messages" not in plan and "SCAN m " not in plan, (statement, plan)
            if "SCAN sessions" in plan:
                assert "USING INDEX idx_sessions_effective_activity" in plan, plan
