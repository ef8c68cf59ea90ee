"""The two real rollouts list, open and count as a hand count over the files says."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import hermes_sessions_codex
import pytest

from hermes_sessions_core.testing.harness import SourceHarness

from .conftest import CLI_THREAD, DESKTOP_THREAD, FIXTURES


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _lines(thread: str) -> list[dict]:
    path = next((FIXTURES / "sessions").rglob(f"*{thread}.jsonl"))
    return [json.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture
def harness(real_home: Path, locations) -> SourceHarness:
    return SourceHarness(hermes_sessions_codex, locations, {"codex": {"home": str(real_home)}})


@pytest.fixture
def rows(harness: SourceHarness) -> dict:
    return {sid: row.to_dict() for sid, row in harness.listed_rows().items()}


def test_cli_row_has_the_typed_title_model_times_and_git(rows: dict) -> None:
    """Title is the first typed prompt (not AGENTS.md or the environment context), the model
    comes from turn_context, times from the records, git from session_meta."""
    lines = _lines(CLI_THREAD)
    row = rows[f"codex_{CLI_THREAD}"]
    assert row["title"] == "show tools"
    assert row["model"] == "gpt-5.5"
    assert row["workspace"] == row["resume_cwd"] == "/Users/Sample_User/repos/codemie-ai/codemie-code"
    assert row["created_at"] == _epoch(lines[0]["payload"]["timestamp"])
    assert row["last_message_at"] == row["updated_at"] == _epoch(lines[-1]["timestamp"])
    assert row["resume_command"] == f"codex resume {CLI_THREAD}"
    assert row["git_branch"] == "feat/codex-agent-plugin"
    assert row["git_commit"] == "c8c252acd853de59c54b5c31374fec6028ee812e"
    assert row["git_repository"] == "git@github.com:codemie-ai/codemie-code.git"
    assert (row["cli_version"], row["originator"]) == ("0.125.0", "codex-tui")
    assert row["source_label"] == "Codex" and row["read_only"] is True
    assert row["archived"] is False and "parent_session_id" not in row


def test_cli_tokens_equal_a_hand_count_of_token_count_events(rows: dict) -> None:
    """Totals from the last cumulative report, input without the cached part; usage records
    one per distinct request, summing to the same totals; no cost."""
    events = [line["payload"]["info"] for line in _lines(CLI_THREAD)
              if line["type"] == "event_msg" and line["payload"]["type"] == "token_count"]
    last = events[-1]["total_token_usage"]
    row = rows[f"codex_{CLI_THREAD}"]
    assert row["input_tokens"] == last["input_tokens"] - last["cached_input_tokens"] == 1126300
    assert row["cache_read_input_tokens"] == last["cached_input_tokens"] == 4929536
    assert row["output_tokens"] == last["output_tokens"] == 9118
    assert row["reasoning_tokens"] == 1759
    assert row["estimated_cost"] is None
    (record,) = row["usage"]
    assert record["messages"] == len({json.dumps(e["total_token_usage"]) for e in events}) == 66
    assert record["model"] == "gpt-5.5" and record["cost"] is None
    assert (record["input_tokens"], record["cache_read_tokens"], record["output_tokens"]) == (
        1126300, 4929536, 9118)


def test_desktop_row_copes_without_model_or_tokens(rows: dict) -> None:
    """The Desktop rollout has no turn_context or token_count: no model, zero tokens, no usage;
    its title is the request below the IDE header, cut to 80 characters."""
    lines = _lines(DESKTOP_THREAD)
    row = rows[f"codex_{DESKTOP_THREAD}"]
    assert row["title"] == ("analyze trascript and summarzie action items related to codemie "
                            "and demo preapra")
    assert row["model"] is None and row["input_tokens"] == row["output_tokens"] == 0
    assert row["usage"] == []
    assert row["created_at"] == _epoch("2026-05-11T10:28:45.482Z")
    assert row["last_message_at"] == _epoch(lines[-1]["timestamp"])
    assert row["originator"] == "Codex Desktop" and row["git_branch"] is None


def test_counts_match_the_transcripts(harness: SourceHarness, rows: dict) -> None:
    """A row's message and prompt counts are those of the transcript it opens."""
    for session_id, row in rows.items():
        transcript = harness.call_read_messages(session_id, limit=100_000)
        assert transcript is not None
        users = [m for m in transcript.messages if m["role"] == "user"]
        assert row["message_count"] == transcript.total_count == len(transcript.messages)
        assert row["user_message_count"] == len(users)
    assert rows[f"codex_{CLI_THREAD}"]["message_count"] == 170
    assert rows[f"codex_{DESKTOP_THREAD}"]["user_message_count"] == 3


def test_cli_transcript_pairs_tools_and_hides_injected_context(harness: SourceHarness) -> None:
    """Typed prompts only; every output paired to its call by call_id with the call's name;
    encrypted reasoning never shown; custom tool calls (apply_patch) and web searches kept."""
    transcript = harness.call_read_messages(f"codex_{CLI_THREAD}", limit=100_000)
    assert transcript is not None
    messages = list(transcript.messages)
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "show tools", "let's update the defailt context compart to 90 in env var"]
    calls = {call["id"]: call["function"]["name"]
             for m in messages for call in m.get("tool_calls", ())}
    outputs = [m for m in messages if m["role"] == "tool"]
    assert len(outputs) == 102
    for output in outputs:
        assert calls[output["tool_call_id"]] == output["name"]
    names = set(calls.values())
    assert {"exec_command", "apply_patch", "web_search", "update_plan"} <= names
    text = json.dumps(messages)
    assert "gAAAA" not in text and "AGENTS.md instructions" not in text
    assert "<environment_context>" not in text


def test_metadata_only_load_reports_recorded_counts(harness: SourceHarness) -> None:
    """A metadata-only load is partial and carries the row's exact counts."""
    light = harness.call_load(f"codex_{CLI_THREAD}", metadata_only=True)
    assert light is not None and light.is_partial and light.messages == []
    assert light.message_count == 170
    full = harness.call_load(f"codex_{CLI_THREAD}")
    assert full is not None and not full.is_partial and len(full.messages) == 170
    assert full.title == "show tools" and full.read_only
