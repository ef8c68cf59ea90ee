"""Listing OpenCode sessions: the manifest's facts, one row per session, children linked,
archived and reverted sessions, recorded usage, and a cache that makes warm listings cheap."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_opencode import listing as listing_module
from hermes_sessions_opencode.ids import session_id_for
from hermes_sessions_opencode.listing import list_opencode_rows

from .conftest import ARCHIVED, CHILD, LEGACY_ONLY, MAIN, PLACEHOLDER, REVERTED


def _rows(home: Path, settings: Any, cache: Any) -> dict[str, dict[str, Any]]:
    listing = list_opencode_rows([str(home)], settings, cache)
    assert listing.problems == ()
    return {row["external_session_id"]: row.to_dict() for row in listing.rows}


def test_every_top_level_session_is_listed_once(home, settings, cache, manifest) -> None:
    """Five rows: the child is not one, and the session in both storages is listed once."""
    rows = _rows(home, settings, cache)
    top = {sid for sid, facts in manifest.items() if facts["parent_id"] is None}
    assert set(rows) == top and CHILD not in rows
    assert rows[MAIN]["opencode_storage"] == "db"
    assert rows[LEGACY_ONLY]["opencode_storage"] == "json"


def test_rows_carry_the_manifest_facts(home, settings, cache, manifest) -> None:
    """Titles, directory, times, model, tokens and cost as OpenCode recorded them."""
    rows = _rows(home, settings, cache)
    for native, row in rows.items():
        facts = manifest[native]
        assert row["session_id"] == session_id_for(native)
        assert row["workspace"] == row["resume_cwd"] == facts["directory"]
        assert row["resume_command"] == f"opencode --session {native}"
        assert row["created_at"] == facts["time_created"] / 1000
        assert row["updated_at"] == facts["time_updated"] / 1000
        assert row["input_tokens"] == facts["tokens"]["input"]
        assert row["output_tokens"] == facts["tokens"]["output"]
        assert row["reasoning_tokens"] == facts["tokens"]["reasoning"]
        assert row["cache_read_input_tokens"] == facts["tokens"]["cache_read"]
        assert row["cache_creation_input_tokens"] == facts["tokens"]["cache_write"]
        assert row["estimated_cost"] == pytest.approx(facts["cost"])
        assert row["archived"] is facts["archived"]
        if native != PLACEHOLDER:
            assert row["title"] == facts["title"]
        if facts["revert"] is None:
            assert row["message_count"] == facts["user_messages"] + facts["assistant_messages"]
            assert row["user_message_count"] == facts["user_messages"]
    assert rows[MAIN]["model"] == "claude-sonnet-4-5"
    assert rows[MAIN]["model_provider"] == "anthropic"
    assert rows[ARCHIVED]["model"] == "gpt-5.1-codex"


def test_placeholder_title_becomes_the_first_user_text(home, settings, cache, manifest) -> None:
    """'New session - <ISO time>' is OpenCode's placeholder: the first prompt shows instead."""
    rows = _rows(home, settings, cache)
    assert manifest[PLACEHOLDER]["title"].startswith("New session - ")
    assert rows[PLACEHOLDER]["title"] == manifest[PLACEHOLDER]["first_user_text"]


def test_undone_messages_are_not_counted_but_their_usage_is(home, settings, cache, manifest) -> None:
    """After /undo the reverted prompt and its answer are not counted as said; the tokens
    they cost still are (OpenCode spent them)."""
    row = _rows(home, settings, cache)[REVERTED]
    facts = manifest[REVERTED]
    assert row["message_count"] == facts["user_messages"] + facts["assistant_messages"] - 2
    assert row["user_message_count"] == facts["user_messages"] - 1
    assert row["undone_message_count"] == 2
    assert row["estimated_cost"] == pytest.approx(facts["cost"])
    assert row["last_message_at"] < facts["time_updated"] / 1000


def test_children_are_linked_to_their_parent(home, settings, cache, manifest) -> None:
    """The subagent session is named on its parent's row, with its own id and cost."""
    row = _rows(home, settings, cache)[MAIN]
    assert row["subagent_count"] == 1
    (child,) = row["subagents"]
    assert child["session_id"] == session_id_for(CHILD)
    assert child["title"] == manifest[CHILD]["title"]
    assert child["estimated_cost"] == pytest.approx(manifest[CHILD]["cost"])


def test_usage_records_sum_to_the_recorded_cost(home, settings, cache, manifest) -> None:
    """One usage record per day and model; tokens and cost add up to the hand count, a
    parent's including its subagents' (they are not rows, but their tokens were spent)."""
    rows = _rows(home, settings, cache)
    total = sum(r["cost"] or 0 for row in rows.values() for r in row["usage"])
    assert total == pytest.approx(sum(facts["cost"] for facts in manifest.values()))
    assert rows[MAIN]["subagent_estimated_cost"] == pytest.approx(manifest[CHILD]["cost"])
    for native, row in rows.items():
        if native == MAIN:
            continue
        facts = manifest[native]
        records = row["usage"]
        assert sum(r["input_tokens"] for r in records) == facts["tokens"]["input"]
        assert sum(r["cache_read_tokens"] for r in records) == facts["tokens"]["cache_read"]
        assert sum(r["cost"] or 0 for r in records) == pytest.approx(facts["cost"])
        assert sum(r["messages"] for r in records) == facts["assistant_messages"]


def test_generated_variants_match_their_manifest(generate, settings, cache) -> None:
    """Randomised data folders list every top-level session with its title, counts, cost."""
    for seed in (3, 11):
        folder, manifest = generate(seed)
        rows = _rows(folder, settings, cache)
        top = [s for s in manifest["sessions"] if s["parent_id"] is None]
        assert set(rows) == {s["id"] for s in top}
        for facts in top:
            row = rows[facts["id"]]
            assert row["title"] == facts["title"]
            assert row["message_count"] == facts["user_messages"] + facts["assistant_messages"]
            assert row["estimated_cost"] == pytest.approx(facts["cost"])
            assert row["archived"] is facts["archived"]
            children = [s for s in manifest["sessions"] if s["parent_id"] == facts["id"]]
            assert row["subagent_count"] == len(children)


def test_warm_listing_never_opens_the_database(home, settings, cache, monkeypatch) -> None:
    """A second listing of unchanged files costs stats: no database open, no file read."""
    first = list_opencode_rows([str(home)], settings, cache)
    opened: list[str] = []
    monkeypatch.setattr(listing_module, "open_read_only",
                        lambda *a, **k: opened.append(a[0]) or pytest.fail("opened"))
    monkeypatch.setattr(listing_module, "read_legacy_messages",
                        lambda *a, **k: pytest.fail("legacy re-read"))
    second = list_opencode_rows([str(home)], settings, cache)
    assert [r.to_dict() for r in second.rows] == [r.to_dict() for r in first.rows]
    assert opened == []


def test_a_commit_to_the_database_is_seen(home, settings, cache) -> None:
    """A changed database (another title) is read again: the cache key is its stat."""
    list_opencode_rows([str(home)], settings, cache)
    with sqlite3.connect(home / "opencode.db") as connection:
        connection.execute("UPDATE session SET title = 'Renamed in OpenCode' WHERE id = ?",
                           (ARCHIVED,))
    rows = _rows(home, settings, cache)
    assert rows[ARCHIVED]["title"] == "Renamed in OpenCode"


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_listing_leaves_the_folder_byte_identical(home, settings, cache) -> None:
    """Read-only for real: no journal, -wal or -shm appears, no byte or mtime changes."""
    before = _snapshot(home)
    list_opencode_rows([str(home)], settings, cache)
    assert _snapshot(home) == before


def test_a_wal_database_without_side_files_is_read_without_creating_them(
    home, settings, cache
) -> None:
    """OpenCode's WAL database, closed cleanly (no -wal/-shm): read as it is, and the
    folder still holds no -wal or -shm afterwards."""
    with sqlite3.connect(home / "opencode.db") as connection:
        connection.execute("PRAGMA journal_mode = WAL")
    assert not (home / "opencode.db-wal").exists()
    before = _snapshot(home)
    rows = _rows(home, settings, cache)
    assert MAIN in rows
    assert _snapshot(home) == before


def test_a_live_wal_database_shows_uncheckpointed_commits(home, settings, cache) -> None:
    """While OpenCode holds the database open in WAL mode, commits still in the -wal show."""
    writer = sqlite3.connect(home / "opencode.db")
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("UPDATE session SET title = 'Only in the WAL' WHERE id = ?", (ARCHIVED,))
        writer.commit()
        assert (home / "opencode.db-wal").stat().st_size > 0
        rows = _rows(home, settings, cache)
        assert rows[ARCHIVED]["title"] == "Only in the WAL"
    finally:
        writer.close()


def test_corrupt_database_is_a_problem_and_the_json_tree_still_lists(
    home, settings, cache
) -> None:
    """A damaged opencode.db is reported; the legacy sessions still list (both of them)."""
    (home / "opencode.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    listing = list_opencode_rows([str(home)], settings, cache)
    assert {row["external_session_id"] for row in listing.rows} == {MAIN, LEGACY_ONLY}
    (problem,) = listing.problems
    assert problem.path and problem.path.endswith("opencode.db")


def test_locked_database_is_a_problem_and_a_cached_listing_stands(home, cache) -> None:
    """A database a writer holds exclusively: a problem after the busy timeout, and the rows
    read before are still shown."""
    from hermes_sessions_opencode import OpenCodeSettings

    settings = OpenCodeSettings(busy_timeout_ms=50)
    list_opencode_rows([str(home)], settings, cache)
    writer = sqlite3.connect(home / "opencode.db", isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE session SET title = 'mid-write' WHERE id = ?", (ARCHIVED,))
        stamp = (home / "opencode.db").stat().st_mtime_ns + 1_000_000
        os.utime(home / "opencode.db", ns=(stamp, stamp))  # the cached listing is stale now
        listing = list_opencode_rows([str(home)], settings, cache)
        fresh = list_opencode_rows([str(home)], settings, type(cache)())
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert [p.error_type for p in listing.problems] == ["DatabaseLocked"]
    assert ARCHIVED in {row["external_session_id"] for row in listing.rows}
    assert [p.error_type for p in fresh.problems] == ["DatabaseLocked"]
    assert {row["external_session_id"] for row in fresh.rows} == {MAIN, LEGACY_ONLY}


def test_an_older_schema_without_newer_columns_still_lists(home, settings, cache) -> None:
    """A database from before time_archived, cost and the token columns lists its sessions."""
    path = home / "opencode.db"
    with sqlite3.connect(path) as connection:
        for column in ("time_archived", "cost", "tokens_input", "goal", "revert"):
            connection.execute(f"ALTER TABLE session DROP COLUMN {column}")
    rows = _rows(home, settings, cache)
    assert rows[ARCHIVED]["archived"] is False  # the column that said so is gone
    assert rows[REVERTED]["user_message_count"] == 3  # and so is the revert marker
    assert rows[MAIN]["estimated_cost"] == pytest.approx(0.0872)


def test_a_foreign_database_is_a_problem(home, settings, cache) -> None:
    """An SQLite file with no session table is reported as such."""
    (home / "opencode.db").unlink()
    sqlite3.connect(home / "opencode.db").execute("CREATE TABLE other (x)").connection.close()
    listing = list_opencode_rows([str(home)], settings, cache)
    assert [p.error_type for p in listing.problems] == ["UnsupportedSchema"]


def test_fifo_in_place_of_the_database_is_never_opened(home, settings, cache) -> None:
    """A named pipe called opencode.db is skipped at once (a blocking open would hang)."""
    (home / "opencode.db").unlink()
    os.mkfifo(home / "opencode.db")
    listing = list_opencode_rows([str(home)], settings, cache)
    assert [p.error_type for p in listing.problems] == ["NotARegularFile"]
    assert LEGACY_ONLY in {row["external_session_id"] for row in listing.rows}


def test_channel_databases_are_read_too(home, settings, cache) -> None:
    """``opencode-<channel>.db`` (a non-release build) is read beside ``opencode.db``."""
    os.replace(home / "opencode.db", home / "opencode-dev.db")
    rows = _rows(home, settings, cache)
    assert MAIN in rows and rows[MAIN]["source_path"].endswith("opencode-dev.db")


def test_damaged_legacy_file_is_a_problem(home, settings, cache) -> None:
    """A cut-off legacy session file is reported; the others still list."""
    broken = next((home / "storage" / "session").glob(f"*/{LEGACY_ONLY}.json"))
    broken.write_bytes(broken.read_bytes()[:40])
    listing = list_opencode_rows([str(home)], settings, cache)
    assert [p.path for p in listing.problems] == [str(broken)]
    assert LEGACY_ONLY not in {row["external_session_id"] for row in listing.rows}


def test_after_a_commit_only_changed_sessions_are_read_again(home, settings, cache,
                                                            monkeypatch) -> None:
    """OpenCode commits on every message: the next listing re-reads the messages of the
    session that changed, and reuses every other summary."""
    list_opencode_rows([str(home)], settings, cache)
    with sqlite3.connect(home / "opencode.db") as connection:
        connection.execute(
            "INSERT INTO message VALUES ('msg_zzzz', ?, 1779103700000, 1779103700000, ?)",
            (ARCHIVED, '{"role":"user","time":{"created":1779103700000}}'))
    read: list[list[str]] = []
    original = listing_module.read_messages

    def spy(connection, session_ids, **options):
        read.append(list(session_ids))
        return original(connection, session_ids, **options)

    monkeypatch.setattr(listing_module, "read_messages", spy)
    rows = _rows(home, settings, cache)
    assert read == [[ARCHIVED]]
    assert rows[ARCHIVED]["user_message_count"] == 2
    assert rows[MAIN]["message_count"] == 4


def test_a_session_without_directory_takes_its_project_worktree(home, settings, cache) -> None:
    """Older sessions lack ``directory``: the project's worktree is the workspace then."""
    with sqlite3.connect(home / "opencode.db") as connection:
        connection.execute("UPDATE session SET directory = '' WHERE id = ?", (ARCHIVED,))
    legacy = next((home / "storage" / "session").glob(f"*/{LEGACY_ONLY}.json"))
    record = json.loads(legacy.read_text())
    del record["directory"]
    legacy.write_text(json.dumps(record))
    rows = _rows(home, settings, cache)
    assert rows[ARCHIVED]["workspace"] == "/home/dev/projects/webshop"
    assert rows[LEGACY_ONLY]["workspace"] == "/home/dev/projects/webshop"
