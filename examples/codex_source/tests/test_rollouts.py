"""Codex rollouts as sessions: ids, titles, counts, transcripts, resume commands, discovery."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import hermes_sessions_codex
import pytest
from hermes_sessions_codex.discovery import find_rollout, thread_id_of
from hermes_sessions_codex.summary import cached_summary, forget_summaries, summarise
from hermes_sessions_codex.transcript import read_transcript

from hermes_sessions_core import ListRequest, Locations, SourceContext

FIXTURE_HOME = Path(__file__).parent / "fixtures" / "codex_home"
THREAD = "019e1625-789d-76c0-80ab-3724b5ddb799"
SESSION_ID = f"codex_{THREAD}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    copy = tmp_path / "codex"
    shutil.copytree(FIXTURE_HOME, copy)
    forget_summaries()
    return copy


def context_for(tmp_path: Path, home: Path | None = None, environ: dict[str, str] | None = None) -> SourceContext:
    locations = Locations.from_environment(
        base_home=tmp_path / "h", state_dir=tmp_path / "w", environ=environ or {},
        default_workspace=tmp_path / "ws",
    )
    settings = {"codex": {"home": str(home)}} if home else {}
    return SourceContext(locations, settings)


def rollout(home: Path) -> Path:
    return next((home / "sessions").glob("*/*/*/rollout-*.jsonl"))


def test_row_from_the_real_rollout(home: Path, tmp_path: Path) -> None:
    """The row shows the typed prompt as title (not injected AGENTS.md text), the model from
    turn_context, the cwd, cumulative tokens and a resume command."""
    listing = hermes_sessions_codex.hermes_sessions_list_rows(context_for(tmp_path, home), ListRequest("default"))
    assert listing.problems == ()
    (row,) = listing.rows
    assert row.session_id == SESSION_ID
    assert row["title"] == "show tools"
    assert row["model"] == "gpt-5.5" and row["model_provider"] == "openai"
    assert row["workspace"] == "/Users/Sample_User/repos/codemie-ai/codemie-code"
    assert row["user_message_count"] == 2 and row["message_count"] == 222
    assert row["created_at"] == pytest.approx(1778488015.042)  # session_meta time, UTC
    assert row["updated_at"] == pytest.approx(1778489098.544)  # last record
    assert row["input_tokens"] == 6055836 and row["output_tokens"] == 9118
    assert row["resume_command"] == f"codex resume {THREAD}"
    assert row["read_only"] is True and row["session_source"] == "external_agent"


def test_transcript_pairs_tool_calls_with_outputs(home: Path) -> None:
    """Prompts come from user_message events, tool outputs are `tool` messages named after
    their call, and the full parse agrees with the listing's count."""
    messages = read_transcript(rollout(home))
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "show tools", "let's update the defailt context compart to 90 in env var",
    ]
    assert len(messages) == summarise(rollout(home)).message_count
    calls = {m["tool_calls"][0]["id"]: m["tool_calls"][0]["function"]["name"]
             for m in messages if m.get("tool_calls")}
    outputs = [m for m in messages if m["role"] == "tool"]
    assert len(outputs) == 102 and all(m["name"] == calls[m["tool_call_id"]] for m in outputs)
    assert {"exec_command", "apply_patch", "web_search"} <= set(calls.values())
    assert messages[-1]["role"] == "assistant" and "threshold: 0.9" in messages[-1]["content"]


def test_old_rollouts_without_prompt_events_use_typed_user_items(tmp_path: Path) -> None:
    """Rollouts written before user_message events existed take prompts from user response
    items, skipping injected environment and AGENTS.md text."""
    day = tmp_path / "codex" / "sessions" / "2025" / "01" / "02"
    day.mkdir(parents=True)
    thread = "11111111-2222-4333-8444-555555555555"
    lines = [
        {"timestamp": "2025-01-02T10:00:00Z", "type": "session_meta", "payload": {"id": thread, "cwd": "/w"}},
        {"timestamp": "2025-01-02T10:00:01Z", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>cwd</environment_context>"}]}},
        {"timestamp": "2025-01-02T10:00:02Z", "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix the bug"}]}},
        {"timestamp": "2025-01-02T10:00:03Z", "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]}},
    ]
    path = day / f"rollout-2025-01-02T10-00-00-{thread}.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    summary = summarise(path)
    assert (summary.title, summary.message_count, summary.user_message_count) == ("fix the bug", 2, 1)
    assert [m["content"] for m in read_transcript(path)] == ["fix the bug", "done"]


def test_codex_home_comes_from_settings_then_environment(home: Path, tmp_path: Path) -> None:
    """settings["codex"]["home"] wins; else $CODEX_HOME (through Locations' environment)."""
    request = ListRequest("default")
    by_env = context_for(tmp_path, environ={"CODEX_HOME": str(home)})
    assert len(hermes_sessions_codex.hermes_sessions_list_rows(by_env, request).rows) == 1
    elsewhere = context_for(tmp_path, home=tmp_path / "empty", environ={"CODEX_HOME": str(home)})
    assert hermes_sessions_codex.hermes_sessions_list_rows(elsewhere, request).rows == ()


def test_listing_honours_the_limit_newest_first(home: Path, tmp_path: Path) -> None:
    """The newest rollouts by dated folder are listed first; the limit caps the files read."""
    day = home / "sessions" / "2026" / "05" / "12"
    day.mkdir(parents=True)
    newer = "22222222-3333-4444-8555-666666666666"
    shutil.copy(rollout(home), day / f"rollout-2026-05-12T09-00-00-{newer}.jsonl")
    listing = hermes_sessions_codex.hermes_sessions_list_rows(context_for(tmp_path, home), ListRequest("default", limit=1))
    assert [row.session_id for row in listing.rows] == [f"codex_{newer}"]


def test_ids_are_checked_before_touching_the_disk(home: Path) -> None:
    """Only codex_<uuid> ids map to files; anything else is not found (S1.3)."""
    root = home / "sessions"
    assert find_rollout(root, SESSION_ID) == rollout(home)
    for bad in ("codex_*", f"codex_{THREAD}/../x", "codex_", THREAD, f"claude_code_{THREAD}"):
        assert thread_id_of(bad) is None and find_rollout(root, bad) is None


def test_summaries_are_reread_when_the_file_changes(home: Path) -> None:
    """The listing cache is keyed by size and mtime: an appended prompt shows at once."""
    path = rollout(home)
    before = cached_summary(path)
    with path.open("ab") as handle:
        handle.write(json.dumps({"timestamp": "2026-05-11T09:00:00Z", "type": "event_msg",
                                 "payload": {"type": "user_message", "message": "one more"}}).encode() + b"\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    after = cached_summary(path)
    assert after.user_message_count == before.user_message_count + 1
