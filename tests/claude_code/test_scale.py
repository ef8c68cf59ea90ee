"""Caps and caching: most recent files (S4.15), big files (S4.16), message window (S4.17),
parse cache (S4.18)."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest
from hermes_sessions_claude_code import (
    SummaryCache,
    claude_code_session_id,
    list_claude_code_rows,
    read_transcript,
)
from hermes_sessions_claude_code.settings import ClaudeCodeSettings

from .conftest import COMPACTION, FLAT_AGENTS, SESSIONS, SHORT


@pytest.fixture
def count_opens(monkeypatch):
    """Count every open() or os.open() of a .jsonl file (the window scan uses os.open)."""
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith(".jsonl"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def counting_os_open(file, *args, **kwargs):
        if str(file).endswith(".jsonl"):
            opened.append(str(file))
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(os, "open", counting_os_open)
    return opened


def test_cap_takes_most_recent_files_not_first_names(projects: Path, cache) -> None:
    """S4.15, S8.12: with max_files=2 the two newest files across projects are listed."""
    os.utime(projects / FLAT_AGENTS, (1_800_000_000, 1_800_000_000))
    listing = list_claude_code_rows([projects], cache=cache, max_files=2)
    assert sorted(r["external_session_id"][:8] for r in listing.rows) == ["4c2ddfdc", "624a4a58"]


def test_rows_sort_by_last_message_newest_first(projects: Path, cache) -> None:
    """S4.15: rows sort by last_message_at descending."""
    times = [row["last_message_at"] for row in list_claude_code_rows([projects], cache=cache).rows]
    assert times == sorted(times, reverse=True)


def test_warm_listing_reads_no_transcript(projects: Path, cache, count_opens) -> None:
    """S4.18: an unchanged folder is listed from the cache without opening any transcript."""
    first = list_claude_code_rows([projects], cache=cache)
    assert count_opens  # the cold listing did read
    count_opens.clear()
    second = list_claude_code_rows([projects], cache=cache)
    assert count_opens == []
    assert [r.to_dict() for r in first.rows] == [r.to_dict() for r in second.rows]


def test_only_changed_files_are_reparsed(projects: Path, cache, count_opens) -> None:
    """S4.18: touching one file re-reads only that file (opened twice: once to ask the OS
    to read it ahead, once to summarise it)."""
    list_claude_code_rows([projects], cache=cache)
    count_opens.clear()
    os.utime(projects / SHORT, (1_800_000_000, 1_800_000_000))
    list_claude_code_rows([projects], cache=cache)
    assert set(count_opens) == {str(projects / SHORT)}


def test_cache_forgets_vanished_files_and_is_bounded(projects: Path) -> None:
    """S4.18: vanished files leave the cache; the cache never grows past its bound."""
    cache = SummaryCache(max_entries=3)
    list_claude_code_rows([projects], cache=cache)
    assert len(cache.summaries) == 3
    big = SummaryCache()
    list_claude_code_rows([projects], cache=big)
    assert str(projects / SHORT) in big.summaries
    (projects / SHORT).unlink()
    list_claude_code_rows([projects], cache=big)
    assert str(projects / SHORT) not in big.summaries


def test_callers_never_share_rows(projects: Path, cache) -> None:
    """S0.2: rows are read-only and nested values are fresh per listing."""
    first = list_claude_code_rows([projects], cache=cache).rows[0]
    with pytest.raises(TypeError):
        first.fields["title"] = "changed"  # type: ignore[index]
    mine = first.to_dict()
    mine["subagents"].append("junk")
    again = list_claude_code_rows([projects], cache=cache).rows[0]
    assert "junk" not in again["subagents"]


def _big_file(projects: Path, target: int) -> Path:
    """A >target transcript from the compaction fixture: its head, then middles, then a marker."""
    lines = (projects / COMPACTION).read_bytes().split(b"\n")
    head, middle = b"\n".join(lines[:12]) + b"\n", b"\n".join(lines[12:157]) + b"\n"
    marker = {"type": "user", "uuid": "last", "timestamp": "2030-01-01T00:00:00Z",
              "cwd": "/Users/user/repo", "message": {"role": "user", "content": "the very last prompt"}}
    path = projects / "-Users-user-repo" / "big.jsonl"
    with path.open("wb") as handle:
        handle.write(head)
        written = len(head)
        while written < target:
            handle.write(middle)
            written += len(middle)
        handle.write(json.dumps(marker).encode() + b"\n")
    return path


def test_files_over_the_cap_are_read_as_head_and_tail(projects: Path, cache) -> None:
    """S4.16, S8.25: a file over max_file_bytes is listed and opened, as head + tail, truncated."""
    settings = ClaudeCodeSettings(max_file_bytes=3 * 1024 * 1024)
    path = _big_file(projects, 4 * 1024 * 1024)
    listing = list_claude_code_rows([projects], cache=cache, settings=settings)
    row = next(r for r in listing.rows if r["external_session_id"] == "big")
    assert row["truncated"] is True
    assert row["title"].startswith("@src/providers/plugins/sso/ARCHITECTURE")
    assert row["workspace"] == "/Users/user/repo"
    transcript = read_transcript(claude_code_session_id(path), [projects], settings=settings, cache=cache)
    assert transcript is not None and transcript.truncated
    assert transcript.messages[-1]["content"] == "the very last prompt"
    assert not any(m["content"] == "/clear" for m in transcript.messages)  # head not shown


@pytest.mark.slow
def test_default_cap_is_ten_megabytes(projects: Path, cache) -> None:
    """S4.16: files of 10 MB or less are parsed whole; an 11 MB file is truncated."""
    path = _big_file(projects, 11 * 1024 * 1024)
    transcript = read_transcript(claude_code_session_id(path), [projects], cache=cache, limit=5)
    assert transcript is not None and transcript.truncated
    whole = read_transcript(claude_code_session_id(projects / COMPACTION), [projects], cache=cache)
    assert whole is not None and not whole.truncated


def test_transcript_window_keeps_most_recent_with_notice(projects: Path, cache) -> None:
    """S4.17: at most N recent messages after a system notice; total_count counts all."""
    sid = claude_code_session_id(projects / COMPACTION)
    transcript = read_transcript(sid, [projects], cache=cache, limit=10)
    assert transcript is not None
    assert transcript.total_count == 122 and len(transcript.messages) == 11
    assert transcript.messages[0]["role"] == "system" and "112 earlier messages" in transcript.messages[0]["content"]
    assert transcript.messages[-1]["content"].startswith("Perfect! Phase 4.1 documentation")
    default = read_transcript(sid, [projects], cache=cache, settings=ClaudeCodeSettings(max_messages=1000))
    assert default is not None and len(default.messages) == 122


def test_opening_a_transcript_makes_its_row_exact(projects: Path, cache) -> None:
    """S4.18: a whole parse replaces the windowed estimate in the cache for that file version."""
    row = next(r for r in list_claude_code_rows([projects], cache=cache, count_scan_bytes=1).rows
               if r["external_session_id"].startswith("624a4a58"))
    assert row["stats_estimated"] is True
    read_transcript(row["session_id"], [projects], cache=cache)
    exact = next(r for r in list_claude_code_rows([projects], cache=cache).rows
                 if r["external_session_id"].startswith("624a4a58"))
    assert "stats_estimated" not in exact and exact["message_count"] == 122
    assert len(SESSIONS) == len(list_claude_code_rows([projects], cache=cache).rows)


def test_only_files_to_summarise_are_read_ahead(projects: Path, cache, monkeypatch) -> None:
    """A cold listing asks the OS to read each new file's windows ahead; a warm one asks for
    nothing, and a touched file is the only one asked for again."""
    from hermes_sessions_core import read_ahead

    asked: list[str] = []
    monkeypatch.setattr(read_ahead, "start_reading", lambda path, ranges: asked.append(path))
    list_claude_code_rows([projects], cache=cache)
    assert sorted(asked) == sorted(str(projects / name) for name in SESSIONS)
    asked.clear()
    list_claude_code_rows([projects], cache=cache)
    assert asked == []
    os.utime(projects / SHORT, (1_800_000_000, 1_800_000_000))
    list_claude_code_rows([projects], cache=cache)
    assert asked == [str(projects / SHORT)]
