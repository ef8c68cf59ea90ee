"""Exact running counts (S4.14, S4.17, S4.18): append-only tallies, resumed growth, the
state file that survives restarts, and rows that never claim exactness they do not have."""

from __future__ import annotations

import builtins
import os
import shutil
from pathlib import Path

import pytest
from hermes_sessions_claude_code import SummaryCache, list_claude_code_rows
from hermes_sessions_claude_code.counts import advance_counts
from hermes_sessions_claude_code.discovery import transcript_file_at
from hermes_sessions_claude_code.parse import parse_transcript
from hermes_sessions_claude_code.settings import ClaudeCodeSettings

from .conftest import COMPACTION, SESSIONS, row_for


def _exact(path: Path) -> tuple[int, int, tuple[int, int, int, int]]:
    summary = parse_transcript(transcript_file_at(str(path)), ClaudeCodeSettings()).summary
    return summary.message_count, summary.user_message_count, summary.tokens


def _count(path: Path, state=None, budget: int = 0):
    stat = os.stat(path)
    return advance_counts(str(path), stat.st_ino, stat.st_size, state, budget)


@pytest.mark.parametrize("name", SESSIONS)
def test_counter_matches_a_whole_parse_at_every_resume_point(projects: Path, name: str) -> None:
    """S4.14, S4.17: counts from the running tally equal the transcript's, also when the count
    is resumed after every line (a budget of one byte stops at each line boundary)."""
    path = projects / name
    state, _read = _count(path)
    assert (state.message_count, state.user_message_count, state.tokens) == _exact(path)
    stepped = None
    for _ in range(10_000):
        stepped, _read = _count(path, stepped, budget=1)
        if stepped.size is not None:
            break
    assert (stepped.message_count, stepped.user_message_count, stepped.tokens) == _exact(path)


def test_grown_file_is_read_only_from_its_previous_end(projects: Path) -> None:
    """S4.18: counts are append-only facts; growth costs the appended bytes, not the file."""
    path = projects / COMPACTION
    data = path.read_bytes()
    lines = data.split(b"\n")
    path.write_bytes(b"\n".join(lines[:150]) + b"\n")
    state, _read = _count(path)
    appended = b"\n".join(lines[150:])
    with path.open("ab") as handle:
        handle.write(appended)
    grown, read = _count(path, state)
    assert read == len(appended)
    assert (grown.message_count, grown.user_message_count, grown.tokens) == _exact(path)


def test_partial_last_line_counts_now_and_is_reread_when_complete(projects: Path) -> None:
    """S4.19: a line still being written is counted if it parses, and resumed from its start."""
    path = projects / COMPACTION
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:40]) + b"\n" + lines[40][:100])
    state, _read = _count(path)
    assert state.offset < state.size
    with path.open("ab") as handle:
        handle.write(lines[40][100:] + b"\n")
    grown, _read = _count(path, state)
    assert (grown.message_count, grown.tokens) == _exact(path)[::2]


@pytest.mark.parametrize("change", ["shrink", "rewrite", "replace"])
def test_rewritten_or_truncated_file_is_counted_again(projects: Path, change: str) -> None:
    """S4.18: a file that shrank, changed before the counted offset or is another inode is
    recounted from the start, never resumed."""
    path = projects / COMPACTION
    state, _read = _count(path)
    lines = path.read_bytes().split(b"\n")
    if change == "shrink":
        path.write_bytes(b"\n".join(lines[:60]) + b"\n")
    elif change == "rewrite":
        path.write_bytes(b"\n".join(lines[:-2] + [lines[5], b""]) + b"\n" * 0)
    else:
        other = path.with_suffix(".new")
        other.write_bytes(b"\n".join(lines[:80]) + b"\n")
        os.replace(other, path)
    again, read = _count(path, state)
    assert read == path.stat().st_size
    assert (again.message_count, again.user_message_count, again.tokens) == _exact(path)


def test_estimated_rows_become_exact_and_never_claim_it_early(projects: Path, cache) -> None:
    """S4.16, S4.18: a large file's row says stats_estimated until its exact count completes
    within the per-listing budget; then its counts equal the transcript's."""
    settings = ClaudeCodeSettings(count_scan_bytes=1)
    seen = []
    for _ in range(10):
        row = row_for(list_claude_code_rows([projects], cache=cache, settings=settings), "624a4a58")
        seen.append((row.get("stats_estimated", False), row["message_count"], row["user_message_count"]))
        if not row.get("stats_estimated"):
            break
    assert seen[0][0] is True
    assert seen[-1] == (False, 122, 15)
    assert all(estimated for estimated, *_ in seen[:-1])


def test_state_file_makes_a_restart_warm(projects: Path, tmp_path: Path, monkeypatch) -> None:
    """S4.18: with a state file, a new process lists unchanged files without opening any
    transcript, and gets the same rows; exact counts survive the restart."""
    state_file = tmp_path / "state" / "claude_code-listing.json"
    first = list_claude_code_rows([projects], cache=SummaryCache(), state_file=state_file)
    assert state_file.exists()
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith(".jsonl"):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    second = list_claude_code_rows([projects], cache=SummaryCache(), state_file=state_file)
    assert opened == []
    assert [r.to_dict() for r in first.rows] == [r.to_dict() for r in second.rows]
    assert "stats_estimated" not in row_for(second, "624a4a58")


def test_corrupt_or_stale_state_file_is_ignored(projects: Path, tmp_path: Path) -> None:
    """S4.19: the state file is only a cache; garbage or entries for other file versions never
    reach a row."""
    state_file = tmp_path / "state.json"
    state_file.write_bytes(b"{not json")
    listing = list_claude_code_rows([projects], cache=SummaryCache(), state_file=state_file)
    assert len(listing.rows) == len(SESSIONS) and not listing.problems
    shutil.copy(projects / SESSIONS[2], projects / COMPACTION)  # same path, other content
    again = list_claude_code_rows([projects], cache=SummaryCache(), state_file=state_file)
    assert row_for(again, "624a4a58")["message_count"] == _exact(projects / COMPACTION)[0]


def test_unwritable_state_dir_is_reported_not_raised(projects: Path, tmp_path: Path) -> None:
    """S0.3: failing to keep the cache is a problem record; the rows still come back."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the state dir should be")
    listing = list_claude_code_rows([projects], cache=SummaryCache(), state_file=blocker / "x.json")
    assert len(listing.rows) == len(SESSIONS)
    assert any(problem.path == str(blocker / "x.json") for problem in listing.problems)
