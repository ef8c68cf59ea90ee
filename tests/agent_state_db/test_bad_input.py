"""Bad input gives the rows that can be read (or none) plus a problem naming the database and
the cause, never an exception into the sidebar (S0.3, S3.3, issue 4)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from hermes_sessions_agent_state_db import (
    agent_messages,
    count_conversation_rounds,
    delete_agent_session,
    lineage_metadata,
    lineage_report,
    list_agent_rows,
)

from .helpers import AgentHome

CRON_RUN = "cron_cd61d8f16adf_20260421_015449"  # untitled run of "daily-news-digest" in current/


def _listing(home: AgentHome, **options: object):
    return list_agent_rows(home.locations, "default", limit=1000, ttl=0, **options)


def _remove_sidecars(db: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def test_missing_database(tmp_path: Path) -> None:
    """S3.18-S3.22: no state.db gives no rows, a problem naming it, and empty answers."""
    home = AgentHome(tmp_path / "hermes", tmp_path / "webui", {})
    listing = _listing(home)
    assert listing.rows == ()
    (problem,) = listing.problems
    assert problem.path == str(home.db) and "no agent database" in problem.message
    assert agent_messages(home.db, "20260101_000000_abcdef") == []
    assert lineage_metadata(home.db, ["20260101_000000_abcdef"]) == {}
    assert lineage_report(home.db, "20260101_000000_abcdef")["found"] is False
    assert count_conversation_rounds(home.db, "20260101_000000_abcdef") == 0
    assert delete_agent_session(home.db, "20260101_000000_abcdef") is False


def test_file_that_is_not_sqlite(real_small: AgentHome) -> None:
    """S0.3: a file that is not a database becomes a problem record with its path."""
    real_small.db.write_bytes(b"this is not a database\n" * 400)
    _remove_sidecars(real_small.db)
    listing = _listing(real_small)
    assert listing.rows == ()
    (problem,) = listing.problems
    assert problem.path == str(real_small.db)
    assert "not a database" in problem.message
    assert agent_messages(real_small.db, "20261123_212026_5dae6d") == []


@pytest.mark.parametrize("keep", [4096, 0.5])
def test_truncated_database(real_small: AgentHome, keep: float) -> None:
    """S0.3: a truncated store lists what it can (here nothing) and names the cause."""
    size = real_small.db.stat().st_size
    _remove_sidecars(real_small.db)
    with real_small.db.open("r+b") as handle:
        handle.truncate(int(keep if keep > 1 else size * keep))
    listing = _listing(real_small)
    assert listing.rows == ()
    assert [p.path for p in listing.problems] == [str(real_small.db)]
    assert "malformed" in listing.problems[0].message
    assert lineage_report(real_small.db, "20261123_212026_5dae6d")["found"] is False


def test_corrupt_pages(real_small: AgentHome) -> None:
    """S0.3: garbage pages in the middle of the file give a problem, never an exception."""
    _remove_sidecars(real_small.db)
    with real_small.db.open("r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(os.urandom(4096 * 8))
    listing = _listing(real_small)
    assert listing.problems and listing.problems[0].path == str(real_small.db)
    assert count_conversation_rounds(real_small.db, "20261123_212026_5dae6d") >= 0


def test_writer_holding_an_exclusive_transaction_in_wal_mode(real_small: AgentHome) -> None:
    """S3.2: while the agent writes (WAL), readers still get the committed rows."""
    writer = real_small.connect()
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute(
            "INSERT INTO sessions (id, source, started_at) VALUES ('20261124_000000_aaaaaa', 'cli', 1)"
        )
        listing = _listing(real_small)
        assert listing.problems == ()
        ids = {row.session_id for row in listing.rows}
        assert "20261123_212026_5dae6d" in ids and "20261124_000000_aaaaaa" not in ids
        assert len(agent_messages(real_small.db, "20261123_212026_5dae6d")) == 16
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_writer_lock_in_rollback_journal_mode(real_small: AgentHome) -> None:
    """S3.2: a store locked by a writer waits for the busy timeout, then reports the lock."""
    with real_small.connect() as setup:
        setup.execute("PRAGMA journal_mode=DELETE")
    writer = real_small.connect()
    try:
        writer.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        listing = _listing(real_small, busy_timeout=0.2)
        assert time.monotonic() - started < 3
        assert listing.rows == ()
        (problem,) = listing.problems
        assert problem.path == str(real_small.db) and "locked" in problem.message
        assert agent_messages(real_small.db, "20261123_212026_5dae6d", busy_timeout=0.2) == []
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # Six chains plus the subagent child, which keeps its own row (S3.11): only `cli` rows are
    # held to the CLI visibility rule (S3.13).
    assert len(_listing(real_small).rows) == 7


def test_sessions_table_without_source(tmp_path: Path) -> None:
    """S3.3: without sessions.source the listing is empty with one problem that says why."""
    home = AgentHome(tmp_path / "hermes", tmp_path / "webui", {})
    home.home.mkdir()
    with home.connect() as connection:
        connection.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, started_at REAL, title TEXT)")
        connection.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, session_id TEXT, "
                           "role TEXT, content TEXT, timestamp REAL)")
        connection.execute("INSERT INTO sessions VALUES ('20260101_000000_abcdef', 1.0, 'x')")
        connection.execute("INSERT INTO messages VALUES (1, '20260101_000000_abcdef', 'user', 'hi', 2.0)")
    listing = _listing(home)
    assert listing.rows == ()
    (problem,) = listing.problems
    assert "no source column" in problem.message and problem.path == str(home.db)
    assert agent_messages(home.db, "20260101_000000_abcdef")[0]["content"] == "hi"


def test_text_where_a_number_belongs(real_small: AgentHome) -> None:
    """S0.1, S8.14: text in time and count columns never raises or empties the list."""
    tip, middle = "20261123_212026_5dae6d", "20261123_212025_2340b5"
    with real_small.connect() as connection:
        connection.execute("UPDATE sessions SET message_count = 'many', input_tokens = 'lots', "
                           "started_at = 'yesterday' WHERE id = ?", ("20261123_212026_e3f24c",))
        connection.execute("UPDATE sessions SET ended_at = 'soon' WHERE id = ?", (middle,))
        connection.execute("UPDATE messages SET timestamp = '2026-11-23T21:20:30Z' "
                           "WHERE session_id = 'cron_5afbaeed357d_20261123_212026'")
    listing = _listing(real_small)
    assert listing.problems == ()
    rows = {row.session_id: row for row in listing.rows}
    odd = rows["20261123_212026_e3f24c"]
    assert odd["message_count"] == 4 and odd["input_tokens"] == 0
    assert isinstance(odd["updated_at"], float)
    assert rows["cron_5afbaeed357d_20261123_212026"]["last_message_at"] == pytest.approx(
        1795468830.0
    )
    # An unreadable ended_at counts as "not a continuation" (S3.4): the chain splits there.
    assert "_compression_segment_count" not in rows[tip]
    assert rows[tip]["relationship_type"] == "child_session"
    assert rows[middle]["_compression_segment_count"] == 2
    assert lineage_metadata(real_small.db, [tip])[tip]["relationship_type"] == "child_session"


def test_malformed_jobs_json(current: AgentHome) -> None:
    """S3.15: a malformed jobs.json gives a problem naming it; rows list with fallback titles."""
    current.jobs_file.write_text("{not json", encoding="utf-8")
    listing = _listing(current)
    assert any(p.path == str(current.jobs_file) for p in listing.problems)
    assert all(p.path != str(current.db) for p in listing.problems)
    assert len(listing.rows) > 20
    titles = {row.session_id: row["title"] for row in listing.rows}
    assert titles.get(CRON_RUN, "Cron Session") == "Cron Session"


@pytest.mark.parametrize(
    "shape",
    [
        lambda jobs: {"jobs": jobs},
        lambda jobs: jobs,
        lambda jobs: {job["id"]: {k: v for k, v in job.items() if k != "id"} for job in jobs},
    ],
    ids=["jobs-object", "bare-list", "keyed-by-id"],
)
@pytest.mark.parametrize("bom", [False, True])
def test_jobs_json_shapes(current: AgentHome, shape, bom: bool) -> None:
    """S3.15: all three jobs.json shapes, with or without a BOM, name untitled cron runs."""
    jobs = json.loads(current.jobs_file.read_text(encoding="utf-8"))["jobs"]
    text = json.dumps(shape(jobs), ensure_ascii=False)
    current.jobs_file.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    listing = _listing(current)
    assert listing.problems == ()
    titles = {row.session_id: row["title"] for row in listing.rows}
    assert titles[CRON_RUN] == "daily-news-digest"


def test_jobs_json_with_unknown_shape(current: AgentHome) -> None:
    """S3.15: a JSON value of another type is reported, not trusted."""
    current.jobs_file.write_text("42", encoding="utf-8")
    listing = _listing(current)
    assert [p.path for p in listing.problems] == [str(current.jobs_file)]
    assert listing.rows


def test_reads_never_write(real_small: AgentHome) -> None:
    """S3.2: connections are read-only: a listing leaves the database bytes unchanged."""
    before = real_small.db.read_bytes()
    _listing(real_small)
    agent_messages(real_small.db, "20261123_212026_5dae6d")
    lineage_report(real_small.db, "20261123_212026_5dae6d")
    assert real_small.db.read_bytes() == before
    with sqlite3.connect(f"file:{real_small.db}?mode=ro", uri=True) as check:
        assert check.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 10
