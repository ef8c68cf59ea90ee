"""Transcripts: what the user typed (displayContent), tool calls paired with their results,
reasoning apart from the answer, notices, and the most recent ``limit`` messages."""

from __future__ import annotations

from hermes_sessions_gemini_cli import read_transcript

from .conftest import gemini, user

SESSION = "22222222-2222-4333-8444-555555555555"
ID = f"gemini_cli_{SESSION}"


def _messages(home, cache, limit=None):
    transcript = read_transcript(ID, [home.root], cache=cache, limit=limit)
    assert transcript is not None
    return list(transcript.messages), transcript


def test_display_content_and_tool_replies(gemini_home, cache):
    """displayContent is what the user typed (/init); a functionResponse fed back is not a user message."""
    gemini_home.jsonl(SESSION, [
        user("u1", [{"text": "a very long expanded prompt"}], displayContent=[{"text": "/init"}]),
        user("u2", [{"text": "System: Please continue."}],
             displayContent=[{"functionResponse": {"id": "c1", "name": "x", "response": {}}}]),
        user("u3", "what I typed"),
    ])
    messages, _ = _messages(gemini_home, cache)
    assert [m["content"] for m in messages] == ["/init", "what I typed"]


def test_tool_calls_pair_with_results_and_errors_are_marked(gemini_home, cache):
    """Each tool call is followed by its result (paired by id); reasoning is apart; failed calls are errors."""
    calls = [
        {"id": "c1", "name": "read_file", "args": {"path": "a.txt"}, "status": "success",
         "timestamp": "2026-02-01T10:00:06.000Z",
         "result": [{"functionResponse": {"id": "c1", "name": "read_file",
                                          "response": {"output": "file body"}}}]},
        {"id": "c2", "name": "run_shell_command", "args": {"command": "false"},
         "status": "error", "resultDisplay": "exit 1",
         "result": [{"functionResponse": {"id": "c2", "name": "run_shell_command",
                                          "response": {"error": "command failed"}}}]},
    ]
    gemini_home.jsonl(SESSION, [user("u1", "go"), gemini(
        "g1", "", toolCalls=calls,
        thoughts=[{"subject": "Planning", "description": "read then run",
                   "timestamp": "2026-02-01T10:00:04.000Z"}])])
    messages, _ = _messages(gemini_home, cache)
    assistant, first, second = messages[1:]
    assert assistant["content"] == "" and assistant["reasoning"] == "Planning\nread then run"
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["read_file", "run_shell_command"]
    assert assistant["tool_calls"][0]["function"]["arguments"] == '{"path":"a.txt"}'
    assert (first["role"], first["tool_call_id"], first["content"]) == ("tool", "c1", "file body")
    assert (second["tool_call_id"], second["content"], second.get("is_error")) == ("c2", "command failed", True)
    assert "is_error" not in first


def test_notices_keep_their_kind(gemini_home, cache):
    """info, warning and error records become system notices of that kind."""
    gemini_home.jsonl(SESSION, [
        {"id": "i1", "timestamp": "2026-02-01T10:00:00.000Z", "type": "info", "content": "note"},
        {"id": "w1", "timestamp": "2026-02-01T10:00:00.000Z", "type": "warning", "content": "careful"},
        {"id": "e1", "timestamp": "2026-02-01T10:00:00.000Z", "type": "error", "content": "broke"},
        user("u1", "hello"),
    ])
    messages, _ = _messages(gemini_home, cache)
    assert [(m["role"], m.get("kind"), m["content"]) for m in messages[:3]] == [
        ("system", "info", "note"), ("system", "warning", "careful"), ("system", "error", "broke")]


def test_limit_keeps_the_most_recent_after_a_notice(gemini_home, cache):
    """limit keeps the most recent messages after a notice; total_count counts them all."""
    records = []
    for index in range(6):
        records += [user(f"u{index}", f"q{index}"), gemini(f"g{index}", f"a{index}")]
    gemini_home.jsonl(SESSION, records)
    messages, transcript = _messages(gemini_home, cache, limit=3)
    assert messages[0]["kind"] == "notice"
    assert [m["content"] for m in messages[1:]] == ["a4", "q5", "a5"]
    assert transcript.total_count == 12


def test_one_object_json_chat_reads_like_jsonl(gemini_home, cache):
    """The older one-object .json chat gives the same messages as JSONL."""
    gemini_home.json(SESSION, [user("u1", "plain string content"), gemini("g1", "answer")])
    messages, _ = _messages(gemini_home, cache)
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "plain string content"), ("assistant", "answer")]
