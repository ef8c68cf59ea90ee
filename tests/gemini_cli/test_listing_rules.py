"""Listing rules: the stat cache (a warm listing opens no file, a changed one is re-read, a
vanished one forgotten), one row per sessionId, max_files, and damaged, symlinked, special
and oversized files costing only themselves."""

from __future__ import annotations

import os

import pytest
from hermes_sessions_gemini_cli import list_gemini_rows, read_transcript, reading

from .conftest import gemini, user

SESSION = "55555555-2222-4333-8444-555555555555"


@pytest.fixture
def reads(monkeypatch):
    """Every byte range the source reads from a chat, counted."""
    seen: list[tuple[int, int]] = []
    original = reading.read_range

    def counted(fd, start, end):
        seen.append((start, end))
        return original(fd, start, end)

    monkeypatch.setattr(reading, "read_range", counted)
    return seen


def test_warm_listing_opens_no_chat(real_home, cache, reads):
    """An unchanged folder is listed from the stat cache: no chat is read, the same rows come back."""
    first = list_gemini_rows([real_home.root], cache=cache)
    assert reads
    reads.clear()
    again = list_gemini_rows([real_home.root], cache=cache)
    assert reads == []
    assert [r.session_id for r in again.rows] == [r.session_id for r in first.rows]
    assert again.rows[0] is first.rows[0]  # the kept row itself: nothing was rebuilt


def test_only_chats_to_summarise_are_read_ahead(real_home, cache, monkeypatch):
    """A cold listing asks the OS to read each chat's windows ahead; a warm one, nothing."""
    from hermes_sessions_core import read_ahead

    asked: list[str] = []
    monkeypatch.setattr(read_ahead, "start_reading", lambda path, ranges: asked.append(path))
    first = list_gemini_rows([real_home.root], cache=cache)
    assert first.rows and len(asked) == len(set(asked)) >= len(first.rows)
    asked.clear()
    list_gemini_rows([real_home.root], cache=cache)
    assert asked == []


def test_changed_chat_is_read_again_and_vanished_one_forgotten(gemini_home, cache):
    """A chat whose size or mtime changed is summarised again; a deleted one leaves the cache."""
    path = gemini_home.jsonl(SESSION, [user("u1", "first")])
    other = gemini_home.jsonl("66666666-2222-4333-8444-555555555555", [user("u1", "other")])
    assert len(list_gemini_rows([gemini_home.root], cache=cache).rows) == 2
    with path.open("ab") as handle:
        handle.write(b'{"$set":{"summary":"Renamed by Gemini"}}\n')
    other.unlink()
    rows = list_gemini_rows([gemini_home.root], cache=cache).rows
    assert [row["title"] for row in rows] == ["Renamed by Gemini"]
    assert len(cache.summaries) == 1


def test_json_migrated_to_jsonl_is_one_row(gemini_home, cache):
    """Resuming an old .json chat makes Gemini write a .jsonl beside it with the same
    sessionId: one row, the newer file."""
    gemini_home.json(SESSION, [user("u1", "old file")])
    gemini_home.jsonl(SESSION, [user("u1", "old file"), gemini("g1", "resumed",
                                at="2026-02-02T10:00:00.000Z")],
                      lastUpdated="2026-02-02T10:00:00.000Z")
    (row,) = list_gemini_rows([gemini_home.root], cache=cache).rows
    assert row["source_path"].endswith(".jsonl")
    transcript = read_transcript(row.session_id, [gemini_home.root], cache=cache)
    assert transcript is not None and transcript.messages[-1]["content"] == "resumed"


def test_max_files_takes_the_most_recently_modified(gemini_home, cache):
    """max_files keeps the most recently modified chats, never chosen by name."""
    for index in range(5):
        path = gemini_home.jsonl(f"7777777{index}-2222-4333-8444-555555555555",
                                 [user("u1", f"chat {index}")])
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
    rows = list_gemini_rows([gemini_home.root], cache=cache, max_files=2).rows
    assert sorted(row["title"] for row in rows) == ["chat 3", "chat 4"]


def test_damaged_files_are_problems_and_the_rest_lists(gemini_home, cache):
    """Files with no readable session record are NotAChat problems; good chats still list."""
    gemini_home.jsonl(SESSION, [user("u1", "good")])
    chats = gemini_home.chats("p" * 64)
    (chats / "session-2026-01-01T00-00-aaaaaaaa.jsonl").write_bytes(b'{"sessionId":"cut')
    (chats / "session-2026-01-01T00-00-bbbbbbbb.json").write_bytes(b"\xff\xfe")
    listing = list_gemini_rows([gemini_home.root], cache=cache)
    assert [row["title"] for row in listing.rows] == ["good"]
    assert sorted(p.error_type for p in listing.problems) == ["NotAChat", "NotAChat"]


def test_symlinks_are_reported_and_special_files_never_opened(gemini_home, cache, tmp_path):
    """A symlinked chat is reported and not followed; a FIFO named like a chat is never opened."""
    gemini_home.jsonl(SESSION, [user("u1", "good")])
    chats = gemini_home.chats("p" * 64)
    target = tmp_path / "elsewhere.jsonl"
    target.write_bytes(b'{"sessionId":"secret","projectHash":"x"}\n')
    os.symlink(target, chats / "session-2026-01-01T00-00-cccccccc.jsonl")
    os.mkfifo(chats / "session-2026-01-01T00-00-dddddddd.jsonl")
    listing = list_gemini_rows([gemini_home.root], cache=cache)
    assert [row["title"] for row in listing.rows] == ["good"]
    assert [p.error_type for p in listing.problems] == ["SymlinkSkipped"]


def test_json_over_the_cap_lists_from_windows_and_says_so(gemini_home, cache):
    """A one-object .json cannot be read in parts: above max_json_bytes its row comes from
    the windows (truncated, estimated) and its transcript is a notice saying why."""
    records = [user("u1", "the first prompt")]
    records += [gemini(f"g{i}", "x" * 2000) for i in range(40)]
    gemini_home.json(SESSION, records)
    listing = list_gemini_rows([gemini_home.root], cache=cache, max_json_bytes=32 * 1024)
    (row,) = listing.rows
    assert row["title"] == "the first prompt"
    assert row["truncated"] is True and row["stats_estimated"] is True
    from hermes_sessions_gemini_cli.settings import GeminiSettings
    transcript = read_transcript(row.session_id, [gemini_home.root], cache=cache,
                                 settings=GeminiSettings(max_json_bytes=32 * 1024))
    assert transcript is not None and transcript.truncated
    assert transcript.messages[0]["kind"] == "notice"
