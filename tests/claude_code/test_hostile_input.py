"""Hostile input and hostile environments around Claude Code transcripts (issue 13, part C).

A transcript with lines longer than the tail window shows what fits and says what was cut;
huge lines are never held whole; FIFOs are never opened blocking, wherever the source reads
(S4.16, S4.19, S0.3).
"""

from __future__ import annotations

import json
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from hermes_sessions_claude_code import (
    ClaudeCodeSettings,
    SummaryCache,
    claude_code_session_id,
    list_claude_code_rows,
    read_transcript,
)
from hermes_sessions_claude_code.counts import advance_counts
from hermes_sessions_claude_code.discovery import SubagentFile, TranscriptFile
from hermes_sessions_claude_code.parse import parse_transcript
from hermes_sessions_claude_code.subagents import link_subagents
from hermes_sessions_claude_code.summary import MAX_BRANCH_CHARS, MAX_MODEL_CHARS, MAX_PATH_CHARS
from hermes_sessions_claude_code.window_scan import summarise_windows

from ..blocking_calls import fifo_releaser, within
from .conftest import SESSIONS, SHORT, row_for

MB = 1024 * 1024
STEM = "11111111-2222-3333-4444-555555555555"


def _exchange(index: int) -> list[dict[str, Any]]:
    stamp = f"2026-01-01T00:{index // 60:02d}:{index % 60:02d}Z"
    return [
        {"type": "user", "uuid": f"u{index}", "sessionId": STEM, "cwd": "/home/u/proj",
         "timestamp": stamp, "message": {"role": "user", "content": f"question {index}"}},
        {"type": "assistant", "uuid": f"a{index}", "sessionId": STEM, "cwd": "/home/u/proj",
         "timestamp": stamp, "message": {"id": f"msg{index}", "role": "assistant",
                                         "model": "claude-x",
                                         "content": [{"type": "text", "text": f"answer {index}"}]}},
    ]


def _huge_record(size: int) -> bytes:
    """One ``user`` line of about ``size`` bytes: a tool result holding a huge file."""
    record = {"type": "user", "uuid": "huge", "sessionId": STEM, "cwd": "/home/u/proj",
              "timestamp": "2026-01-01T02:00:00Z",
              "message": {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "t1", "content": "y" * size}]}}
    return orjson.dumps(record)


def _transcript(root: Path, parts: list[bytes | list[dict[str, Any]]]) -> Path:
    """A transcript at ``root/-home-u-proj/<STEM>.jsonl`` from raw lines and record lists."""
    path = root / "-home-u-proj" / f"{STEM}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for part in parts:
            if isinstance(part, bytes):
                handle.write(part + b"\n")
            else:
                for record in part:
                    handle.write(orjson.dumps(record) + b"\n")
    return path


def _exchanges(first: int, last: int) -> list[dict[str, Any]]:
    return [record for index in range(first, last) for record in _exchange(index)]


# ── finding 14: a last line longer than the tail window ──────────────────────────────────────


def test_last_line_over_ten_megabytes_shows_the_messages_before_it(tmp_path: Path) -> None:
    """Issue 13 (S4.16): a 12 MB last line leaves the 10 MB tail window without a whole line;
    the transcript still shows the conversation before it, then a notice naming the bytes
    left out, and the huge line is never held in memory."""
    root = tmp_path / "projects"
    huge = _huge_record(12 * MB)
    path = _transcript(root, [_exchanges(0, 400), huge])
    tracemalloc.start()
    try:
        transcript = read_transcript(claude_code_session_id(path), [root], cache=SummaryCache())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert transcript is not None and transcript.truncated
    contents = [message["content"] for message in transcript.messages]
    assert contents[:2] == ["question 0", "answer 0"] and contents[-2] == "answer 399"
    assert len(contents) == 801
    notice = transcript.messages[-1]
    assert notice["role"] == "system" and notice["kind"] == "notice"
    assert notice["omitted_bytes"] == len(huge) + 1
    assert f"{len(huge) + 1:,} bytes" in notice["content"]
    assert peak < 6 * MB, f"peak {peak} bytes"


def test_last_line_over_the_window_far_from_the_head(tmp_path: Path) -> None:
    """Issue 13: the start of the huge last line is found before the tail window; the lines in
    the window's worth of bytes before it are shown, then the notice."""
    root = tmp_path / "projects"
    huge = _huge_record(2 * MB)
    path = _transcript(root, [_exchanges(0, 3200), huge])
    settings = ClaudeCodeSettings(max_file_bytes=1 * MB)
    transcript = read_transcript(
        claude_code_session_id(path), [root], settings=settings, cache=SummaryCache(), limit=0
    )
    assert transcript is not None and transcript.truncated
    contents = [message["content"] for message in transcript.messages]
    assert contents[-2] == "answer 3199" and contents[0] != "question 0"
    first_shown = int(contents[0].split()[1])
    assert 0 < first_shown < 3199 and len(contents) == 2 * (3200 - first_shown) + 1
    assert transcript.messages[-1]["omitted_bytes"] == len(huge) + 1


def test_long_line_across_the_window_start_keeps_the_lines_after_it(tmp_path: Path) -> None:
    """S4.16: the tail window starts inside a 3 MB line, more than 1 MB before its end; the
    whole lines after it are shown (the first line start is searched for to the end)."""
    root = tmp_path / "projects"
    path = _transcript(root, [_exchanges(0, 5), _huge_record(3 * MB), _exchanges(5, 25)])
    settings = ClaudeCodeSettings(max_file_bytes=2 * MB)
    transcript = read_transcript(
        claude_code_session_id(path), [root], settings=settings, cache=SummaryCache()
    )
    assert transcript is not None and transcript.truncated
    contents = [message["content"] for message in transcript.messages]
    assert contents[0] == "question 5" and contents[-1] == "answer 24"
    assert len(contents) == 40


def test_last_line_with_no_line_start_in_reach_shows_the_head(tmp_path: Path) -> None:
    """Issue 13: when even the bounded backward search finds no start of the huge last line,
    the head's messages are shown, then a notice naming the bytes left out."""
    root = tmp_path / "projects"
    huge = _huge_record(4 * MB)
    path = _transcript(root, [_exchanges(0, 3), huge])
    head_size = path.stat().st_size - len(huge) - 1
    settings = ClaudeCodeSettings(max_file_bytes=1 * MB, line_scan_bytes=1 * MB)
    transcript = read_transcript(
        claude_code_session_id(path), [root], settings=settings, cache=SummaryCache()
    )
    assert transcript is not None and transcript.truncated
    contents = [message["content"] for message in transcript.messages]
    assert contents[:6] == [f"{kind} {i}" for i in range(3) for kind in ("question", "answer")]
    notice = transcript.messages[-1]
    assert notice["kind"] == "notice"
    assert notice["omitted_bytes"] == path.stat().st_size - head_size


def test_huge_line_is_never_decoded_by_the_exact_count(tmp_path: Path) -> None:
    """Issue 13: the listing's exact count skips a line over the window (10 MB) without
    holding it: counts match the messages a transcript shows, memory stays small."""
    root = tmp_path / "projects"
    _transcript(root, [_exchanges(0, 40), _huge_record(12 * MB)])
    tracemalloc.start()
    try:
        listing = list_claude_code_rows([root], cache=SummaryCache())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (row,) = listing.rows
    assert listing.problems == ()
    assert row["message_count"] == 80 and row["user_message_count"] == 40
    assert "stats_estimated" not in row
    assert peak < 6 * MB, f"peak {peak} bytes"


def test_long_line_under_the_cap_is_counted_once(tmp_path: Path) -> None:
    """S4.14, S4.17: a 3 MB prompt (longer than one read, shorter than the window) is read
    again once its end is known and counted once: row and transcript agree."""
    root = tmp_path / "projects"
    prompt = {"type": "user", "uuid": "p", "timestamp": "2026-01-01T01:00:00Z",
              "message": {"role": "user", "content": "z" * (3 * MB)}}
    path = _transcript(root, [_exchanges(0, 5), [prompt], _exchanges(5, 10)])
    (row,) = list_claude_code_rows([root], cache=SummaryCache()).rows
    transcript = read_transcript(claude_code_session_id(path), [root], cache=SummaryCache())
    assert transcript is not None
    assert row["message_count"] == transcript.total_count == 21
    assert row["user_message_count"] == 11 and "stats_estimated" not in row


# ── pathological records ─────────────────────────────────────────────────────────────────────


def test_huge_row_fields_are_capped(tmp_path: Path) -> None:
    """Issue 13: a 60,000-character ``cwd``, ``gitBranch`` or model name is no row field: paths
    over the cap are passed over (a cut path is a wrong path), branch and model are cut."""
    root = tmp_path / "projects"
    records = _exchanges(0, 2)
    records[0]["cwd"] = "/" + "d" * 60_000
    records[0]["gitBranch"] = "b" * 60_000
    records[3]["message"]["model"] = "m" * 60_000  # the last model is the row's
    _transcript(root, [records])
    (row,) = list_claude_code_rows([root], cache=SummaryCache()).rows
    assert row["workspace"] == "/home/u/proj"  # the next usable cwd
    assert row["git_branch"] == "b" * MAX_BRANCH_CHARS
    assert row["model"] == "m" * MAX_MODEL_CHARS
    assert max(len(v) for v in row.values() if isinstance(v, str)) <= MAX_PATH_CHARS


def test_deeply_nested_lines_are_skipped_alone(tmp_path: Path) -> None:
    """S4.19: a line nested 100,000 deep (past the decoder's limit) is skipped; a tool call
    whose input is nested 1,000 deep is kept; the rest of the file is used."""
    root = tmp_path / "projects"
    deep = b'{"type":"user","message":{"role":"user","content":' + b"[" * 100_000
    call = (
        b'{"type":"assistant","uuid":"n","timestamp":"2026-01-01T01:00:00Z","message":'
        b'{"id":"deep","role":"assistant","content":[{"type":"tool_use","id":"t9",'
        b'"name":"Write","input":{"x":' + b"[" * 1000 + b'"leaf"' + b"]" * 1000 + b"}}]}}"
    )
    path = _transcript(root, [_exchanges(0, 2), deep, call, _exchanges(2, 3)])
    listing = list_claude_code_rows([root], cache=SummaryCache())
    assert listing.problems == () and listing.rows[0]["message_count"] == 7
    transcript = read_transcript(claude_code_session_id(path), [root], cache=SummaryCache())
    assert transcript is not None
    assert [m["content"] for m in transcript.messages][-2:] == ["question 2", "answer 2"]
    assert transcript.messages[-3]["tool_calls"][0]["function"]["name"] == "Write"


# ── special files ────────────────────────────────────────────────────────────────────────────


def test_fifo_transcript_in_a_project_folder(projects: Path, cache) -> None:
    """Issue 13: a FIFO named ``*.jsonl`` is never opened; every real transcript lists."""
    fifo = projects / "-tmp-private" / "ffffffff-0000-0000-0000-000000000000.jsonl"
    os.mkfifo(fifo)
    listing = within(
        5, lambda: list_claude_code_rows([projects], cache=cache), fifo_releaser(fifo)
    )
    assert len(listing.rows) == len(SESSIONS)


def test_fifo_in_a_subagents_folder_is_no_subagent(projects: Path, cache) -> None:
    """Issue 13: a FIFO in ``<session>/subagents/`` is not listed as a subagent transcript."""
    session = projects / SHORT
    folder = session.with_suffix("") / "subagents"
    folder.mkdir(parents=True)
    (folder / "agent-real.jsonl").write_text('{"type":"user"}\n', encoding="utf-8")
    os.mkfifo(folder / "agent-fifo.jsonl")
    row = row_for(list_claude_code_rows([projects], cache=cache), "55604662")
    assert [agent["agent_id"] for agent in row["subagents"]] == ["real"]


@pytest.mark.parametrize("reader", ["parse", "windows", "counts", "subagent_probe"])
def test_transcript_replaced_by_a_fifo_after_the_scan(tmp_path: Path, reader: str) -> None:
    """Issue 13: a file swapped for a FIFO between the scan and the read (a race) makes the
    read fail at once with an OSError, never block."""
    fifo = tmp_path / f"{STEM}.jsonl"
    os.mkfifo(fifo)
    file = TranscriptFile(str(fifo), str(tmp_path), STEM, 1, 300_000, 1)
    settings = ClaudeCodeSettings()
    calls: dict[str, Callable[[], Any]] = {
        "parse": lambda: parse_transcript(file, settings),
        "windows": lambda: summarise_windows(file, settings),
        "counts": lambda: advance_counts(str(fifo), 1, 300_000, None, 1 * MB),
        "subagent_probe": lambda: link_subagents(
            [TranscriptFile(str(tmp_path / "s.jsonl"), str(tmp_path), "s", 1, 1, 1)],
            {str(tmp_path): [SubagentFile(str(fifo), "x", "flat", 1, 100)]}, SummaryCache(),
        ),
    }

    def attempt() -> Any:
        try:
            return calls[reader]()
        except OSError as error:
            return error

    result = within(3, attempt, fifo_releaser(fifo))
    if reader == "subagent_probe":
        linked, _problems = result
        assert linked == {str(tmp_path / "s.jsonl"): []}
    else:
        assert isinstance(result, OSError) and "not a regular file" in str(result)


def test_fifo_listing_state_file(projects: Path, tmp_path: Path) -> None:
    """Issue 13: a FIFO where the listing keeps its on-disk cache is ignored (and replaced on
    the next save); the listing answers."""
    state = tmp_path / "state" / "claude_code-listing.json"
    state.parent.mkdir()
    os.mkfifo(state)
    listing = within(
        5, lambda: list_claude_code_rows([projects], cache=SummaryCache(), state_file=state),
        fifo_releaser(state),
    )
    assert len(listing.rows) == len(SESSIONS)
    assert state.is_file() and json.loads(state.read_bytes())["version"] == 2
