"""The real chats list and open with the right titles, counts, times, models, tokens and
transcripts (the figures are hand counts over the fixture files)."""

from __future__ import annotations

import pytest
from hermes_sessions_gemini_cli import list_gemini_rows, read_transcript

from hermes_sessions_core.times import to_epoch

from .conftest import JSON_NATIVE, JSONL_NATIVE, SMALL_NATIVE


@pytest.fixture
def rows(real_home, cache):
    listing = list_gemini_rows([real_home.root], cache=cache)
    assert listing.problems == ()
    return {row["external_session_id"]: row for row in listing.rows}


def test_three_sessions_and_no_logs_json(rows):
    """Each chat is one row; logs.json beside chats/ is not a session."""
    assert sorted(rows) == sorted([JSONL_NATIVE, JSON_NATIVE, SMALL_NATIVE])
    assert all(not row["source_path"].endswith("logs.json") for row in rows.values())


def test_titles_skip_slash_commands_and_tool_replies(rows):
    """The JSONL chat opens with /init (its expansion is content, /init the displayContent)
    and a tool reply fed back; its title is the one prompt the user typed."""
    assert rows[JSONL_NATIVE]["title"] == "幫我做一個小修改 請幫我將上面確保執行時要透過 uv run 來執行 避免環境有問題"
    assert rows[JSON_NATIVE]["title"] == "hi"
    assert rows[SMALL_NATIVE]["title"] == "Say hello and list files."


def test_counts_count_unique_messages_and_tool_results(rows):
    """Re-appended gemini lines count once: 2 notices + 2 user + 6 gemini + 12 tool results;
    the JSON chat: 3 user + 11 gemini + 10 tool results."""
    assert (rows[JSONL_NATIVE]["message_count"], rows[JSONL_NATIVE]["user_message_count"]) == (22, 2)
    assert (rows[JSON_NATIVE]["message_count"], rows[JSON_NATIVE]["user_message_count"]) == (24, 3)
    assert (rows[SMALL_NATIVE]["message_count"], rows[SMALL_NATIVE]["user_message_count"]) == (4, 1)
    assert not any(row.get("stats_estimated") for row in rows.values())


def test_times_come_from_the_records(rows):
    """First activity is startTime, last the latest of lastUpdated and message times."""
    row = rows[JSONL_NATIVE]
    assert row["created_at"] == to_epoch("2026-04-23T12:52:52.759Z")
    assert row["last_message_at"] == row["updated_at"] == to_epoch("2026-04-23T12:58:35.591Z")
    assert rows[JSON_NATIVE]["created_at"] == to_epoch("2025-12-01T21:45:34.362Z")
    assert rows[JSON_NATIVE]["updated_at"] == to_epoch("2025-12-01T21:50:10.837Z")


def test_model_is_the_last_and_models_are_all(rows):
    """model is the last gemini message's; models lists every one in order of first use."""
    row = rows[JSONL_NATIVE]
    assert row["model"] == "gemini-3.1-pro-preview"
    assert list(row["models"]) == ["gemini-3-flash-preview", "gemini-3.1-pro-preview"]
    assert rows[JSON_NATIVE]["model"] == "gemini-3-pro-image-preview"


def test_usage_equals_a_hand_count(rows):
    """Per gemini message id, last copy: input = input - cached + tool, cached as cache
    reads, thoughts as reasoning; no cost (Gemini records none)."""
    usage = {record["model"]: record for record in rows[JSONL_NATIVE]["usage"]}
    flash, pro = usage["gemini-3-flash-preview"], usage["gemini-3.1-pro-preview"]
    assert (flash["input_tokens"], flash["output_tokens"], flash["cache_read_tokens"],
            flash["reasoning_tokens"], flash["messages"]) == (113397, 1886, 48951, 1689, 5)
    assert (pro["input_tokens"], pro["output_tokens"], pro["cache_read_tokens"],
            pro["reasoning_tokens"], pro["messages"]) == (40238, 266, 0, 452, 1)
    assert rows[JSONL_NATIVE]["input_tokens"] == 113397 + 40238
    assert rows[JSONL_NATIVE]["output_tokens"] == 1886 + 266
    assert rows[JSONL_NATIVE]["cache_read_input_tokens"] == 48951
    json_row = rows[JSON_NATIVE]
    assert (json_row["input_tokens"], json_row["output_tokens"],
            json_row["cache_read_input_tokens"], json_row["reasoning_tokens"]) == (45092, 2734, 56538, 1493)
    assert all(row["estimated_cost"] is None for row in rows.values())
    assert all(record["cost"] is None for row in rows.values() for record in row["usage"])


def test_resume_command_and_project(rows):
    """No .project_root and no directories: workspace unknown, the hash kept to group by."""
    row = rows[JSON_NATIVE]
    assert row["resume_command"] == f"gemini --resume {JSON_NATIVE}"
    assert row["workspace"] is None and row["resume_cwd"] is None
    assert row["project_hash"] == "fb8e242a6fbbb5c48a1d0be57a8a4cc934d33e0a1caf73ab5d4ecaa17269960c"
    assert row["source_label"] == "Gemini CLI" and row["read_only"] is True


def test_transcript_of_the_jsonl_chat(real_home, cache):
    """/init shows as typed, the tool reply is not a user message, reasoning is apart from
    the answer, every tool call is followed by its result, info records are notices."""
    transcript = read_transcript(f"gemini_cli_{JSONL_NATIVE}", [real_home.root], cache=cache)
    assert transcript is not None
    messages = list(transcript.messages)
    users = [m["content"] for m in messages if m["role"] == "user"]
    assert users == ["/init", "幫我做一個小修改 請幫我將上面確保執行時要透過 uv run 來執行 避免環境有問題"]
    assert [m["content"] for m in messages if m["role"] == "system"] == [
        "Empty GEMINI.md created. Now analyzing the project to populate it.", "Request cancelled."]
    first_answer = next(m for m in messages if m["role"] == "assistant")
    assert first_answer["reasoning"].startswith("Initiating File Generation")
    assert "Initiating" not in first_answer["content"]
    calls = [call for m in messages if m["role"] == "assistant" for call in m.get("tool_calls", ())]
    results = [m for m in messages if m["role"] == "tool"]
    assert len(calls) == len(results) == 12
    for index, message in enumerate(messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            following = messages[index + 1: index + 1 + len(message["tool_calls"])]
            assert [r["tool_call_id"] for r in following] == [c["id"] for c in message["tool_calls"]]
            assert [r["name"] for r in following] == [c["function"]["name"] for c in message["tool_calls"]]
    assert transcript.total_count == 22


def test_windowed_rows_estimate_then_become_exact(real_home, cache):
    """With tiny windows and no exact budget the larger chats are estimated (same id, title
    from the windows when they hold it); a listing with budget makes them exact."""
    estimated = list_gemini_rows([real_home.root], cache=cache, row_full_scan_bytes=1024,
                                 exact_scan_bytes=1, head_bytes=32 * 1024, tail_bytes=32 * 1024)
    rows = {row["external_session_id"]: row for row in estimated.rows}
    assert rows[JSON_NATIVE].get("stats_estimated") is True
    assert rows[JSON_NATIVE]["title"] == "hi"
    assert rows[JSONL_NATIVE]["model"] == "gemini-3.1-pro-preview"
    exact = list_gemini_rows([real_home.root], cache=cache, row_full_scan_bytes=1024)
    rows = {row["external_session_id"]: row for row in exact.rows}
    assert not any(row.get("stats_estimated") for row in rows.values())
    assert rows[JSONL_NATIVE]["message_count"] == 22
