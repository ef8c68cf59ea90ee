"""Damaged and unusual rollouts: null token info, repeated token counts, a huge first line,
bytes that are not UTF-8, a cut last line, files that are not rollouts, symlinks and FIFOs."""

from __future__ import annotations

import os
from pathlib import Path

import hermes_sessions_codex
import pytest
from hermes_sessions_codex.listing import list_codex_rows

from hermes_sessions_core.testing.harness import SourceHarness

from .conftest import Rollout

THREAD = "0199bbbb-0000-7000-8000-000000000001"
OTHER = "0199bbbb-0000-7000-8000-000000000002"


@pytest.fixture
def harness(codex_home: Path, locations) -> SourceHarness:
    return SourceHarness(hermes_sessions_codex, locations, {"codex": {"home": str(codex_home)}})


def _row(harness: SourceHarness, thread: str = THREAD) -> dict:
    return harness.listed_rows()[f"codex_{thread}"].to_dict()


def test_repeated_and_null_token_counts_count_once(harness: SourceHarness,
                                                   codex_home: Path) -> None:
    """A request reported twice counts once; ``info: null`` adds nothing; input excludes the
    cached part."""
    rollout = Rollout(THREAD).context().prompt("go")
    rollout.add("event_msg", {"type": "token_count", "info": None, "rate_limits": {}})
    rollout.tokens((1000, 200, 50, 10), (1000, 200, 50, 10), repeat=2)
    rollout.answer("one").tokens((2500, 1100, 80, 10), (1500, 900, 30, 0))
    rollout.write(codex_home)
    row = _row(harness)
    assert (row["input_tokens"], row["cache_read_input_tokens"], row["output_tokens"]) == (
        1400, 1100, 80)
    (record,) = row["usage"]
    assert record["messages"] == 2
    assert (record["input_tokens"], record["cache_read_tokens"], record["output_tokens"],
            record["reasoning_tokens"]) == (1400, 1100, 80, 10)


def test_a_huge_first_line_is_read_from_its_ends(codex_home: Path, harness: SourceHarness) -> None:
    """session_meta with 1 MB of instructions: the thread, cwd and git are still read."""
    rollout = Rollout(THREAD, base_instructions={"text": "x" * 1_000_000},
                      git={"branch": "main", "commit_hash": "abc123"})
    rollout.context().prompt("after a big header").answer("fine").write(codex_home)
    row = _row(harness)
    assert (row["title"], row["workspace"], row["git_branch"]) == ("after a big header",
                                                                   "/work/repo", "main")
    assert row["message_count"] == 2


def test_bytes_that_are_not_utf8_cost_only_their_text(harness: SourceHarness,
                                                      codex_home: Path) -> None:
    rollout = Rollout(THREAD).context().prompt("caf\u00e9 order").answer("served")
    data = rollout.encode().replace("caf\u00e9".encode(), b"caf\xe9")
    rollout.write(codex_home, data=data)
    row = _row(harness)
    assert row["title"].startswith("caf") and row["title"].endswith(" order")
    assert row["message_count"] == 2


def test_a_cut_last_line_is_skipped(harness: SourceHarness, codex_home: Path) -> None:
    """Codex was writing when the file was read: the partial line is left out, the rest
    lists and opens, and the row's count is the transcript's."""
    rollout = Rollout(THREAD).context().prompt("question").answer("answer")
    rollout.write(codex_home, data=rollout.encode() + b'{"timestamp":"2026-06-01T10:00:09.000Z",'
                                                      b'"type":"response_item","payload":{"ty')
    row = _row(harness)
    transcript = harness.call_read_messages(f"codex_{THREAD}")
    assert transcript is not None and row["message_count"] == transcript.total_count == 2


def test_files_that_are_not_rollouts_are_problems_not_rows(codex_home: Path) -> None:
    Rollout(THREAD).prompt("good").answer("ok").write(codex_home)
    bad = Rollout(OTHER).path_in(codex_home)
    bad.write_bytes(b'{"timestamp":"2026-06-01T10:00:00Z","type":"event_msg","payload":{}}\n')
    listing = list_codex_rows([codex_home])
    assert [row.session_id for row in listing.rows] == [f"codex_{THREAD}"]
    assert [(p.error_type, p.path) for p in listing.problems] == [("NotARollout", str(bad))]


def test_symlinks_and_fifos_are_never_followed_or_opened(codex_home: Path, tmp_path: Path) -> None:
    outside = Rollout(OTHER).prompt("outside").answer("ok").write(tmp_path / "elsewhere")
    link = Rollout(OTHER).path_in(codex_home)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    fifo = codex_home / "sessions" / "2026" / "06" / "01" / f"rollout-x-{THREAD}.jsonl"
    os.mkfifo(fifo)
    listing = list_codex_rows([codex_home])
    assert listing.rows == ()
    assert [p.error_type for p in listing.problems] == ["SymlinkSkipped"]


def test_names_that_are_not_codex_thread_ids_are_skipped(codex_home: Path) -> None:
    """Upper-case or malformed ids in a file name would break the id rule: not rollouts."""
    rollout = Rollout(THREAD).prompt("x").answer("y")
    upper = rollout.path_in(codex_home).with_name(f"rollout-2026-06-01T10-00-00-{THREAD.upper()}"
                                                  ".jsonl")
    upper.parent.mkdir(parents=True, exist_ok=True)
    upper.write_bytes(rollout.encode())
    assert list_codex_rows([codex_home]).rows == ()


def test_outputs_nested_nearly_to_the_parser_limit_never_crash(harness: SourceHarness,
                                                               codex_home: Path) -> None:
    """A tool output and arguments nested 1,000 deep (orjson reads them; json.dumps would
    exhaust the stack writing them back) show a short note instead."""
    deep = b"[" * 1000 + b"1" + b"]" * 1000
    rollout = Rollout(THREAD).context().prompt("deep")
    rollout.add("response_item", {"type": "function_call", "name": "t", "call_id": "c1",
                                  "arguments": "@ARGS@"})
    rollout.add("response_item", {"type": "function_call_output", "call_id": "c1",
                                  "output": {"nested": "@OUT@"}})
    data = rollout.encode().replace(b'"@ARGS@"', deep).replace(b'"@OUT@"', deep)
    rollout.write(codex_home, data=data)
    transcript = harness.call_read_messages(f"codex_{THREAD}")
    assert transcript is not None
    tool = transcript.messages[-1]
    assert tool["role"] == "tool" and tool["content"] == "[output not shown: nested too deep]"
    assert transcript.messages[-2]["tool_calls"][0]["function"]["arguments"] == "{}"


def test_a_rollout_over_the_size_cap_is_read_as_head_and_tail(codex_home: Path,
                                                              locations) -> None:
    """Above ``max_file_bytes`` the transcript is the start, a notice, and the latest part;
    row and transcript say ``truncated``."""
    rollout = Rollout(THREAD).context().prompt("the first ask").answer("first")
    for number in range(40):
        rollout.call(f"c{number}", "cat", "z" * 2000)
    rollout.prompt("the last ask").answer("last").write(codex_home)
    harness = SourceHarness(hermes_sessions_codex, locations, {"codex": {
        "home": str(codex_home), "max_file_bytes": 20_000, "head_bytes": 4096}})
    transcript = harness.call_read_messages(f"codex_{THREAD}")
    assert transcript is not None and transcript.truncated
    contents = [m["content"] for m in transcript.messages]
    assert contents[:2] == ["the first ask", "first"] and contents[-2:] == ["the last ask", "last"]
    assert [m["kind"] for m in transcript.messages if m["role"] == "system"] == ["gap"]
    row = harness.listed_rows()[f"codex_{THREAD}"]
    assert row["truncated"] is True and row["title"] == "the first ask"
