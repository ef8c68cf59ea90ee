"""Transcripts from the real fixtures (S4.8-S4.13, S8.24)."""

from __future__ import annotations

import json
from pathlib import Path

from hermes_sessions_claude_code import claude_code_messages, claude_code_session_id

from .conftest import COMPACTION, FLAT_AGENTS, IMAGES, INLINE, SHORT, SUBAGENTS_DIR, TOOL_HEAVY


def _messages(projects: Path, name: str, cache) -> list[dict]:
    return claude_code_messages(claude_code_session_id(projects / name), [projects], cache=cache)


def test_split_assistant_lines_merge_into_one_response(projects: Path, cache) -> None:
    """S4.10: five lines sharing message.id are one message, first line's time, block order kept."""
    messages = _messages(projects, SHORT, cache)
    assistants = [m for m in messages if m["role"] == "assistant"]
    assert len(assistants) == 1
    reply = assistants[0]
    assert reply["content"] == "Let me check the project structure and try running the server to see the error."
    assert [c["function"]["name"] for c in reply["tool_calls"]] == ["Bash", "Glob"]
    assert reply["timestamp"] == 1770757919.186


def test_tool_results_pair_with_calls_and_never_count_as_user(projects: Path, cache) -> None:
    """S4.11: tool messages carry tool_call_id, the call's name and is_error; not user messages."""
    messages = _messages(projects, SHORT, cache)
    tools = [m for m in messages if m["role"] == "tool"]
    assert [(t["name"], t["is_error"]) for t in tools] == [("Bash", True), ("Glob", True)]
    call = messages[1]["tool_calls"][0]
    assert call["type"] == "function" and tools[0]["tool_call_id"] == call["id"]
    assert json.loads(call["function"]["arguments"]) == {"command": "mix phx.server 2>&1 | head -80", "timeout": 30000}
    assert sum(1 for m in messages if m["role"] == "user") == 1


def test_list_tool_results_are_text_not_repr(projects: Path, cache) -> None:
    """S4.11, S8.12: list content (Task results) is joined text, never a Python repr."""
    tools = [m for m in _messages(projects, SUBAGENTS_DIR, cache) if m["role"] == "tool"]
    task = [t for t in tools if t["name"] == "Task"]
    assert task and all(not t["content"].startswith("[{") for t in task)
    assert all("'type':" not in t["content"] for t in tools)


def test_unpaired_tool_result_still_shows(projects: Path, cache) -> None:
    """S4.11: a result whose call is not in the file is shown with no name."""
    path = projects / "-tmp-private" / "orphan.jsonl"
    record = {"type": "user", "uuid": "u", "message": {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_gone", "content": [{"type": "text", "text": "done"}]}]}}
    prompt = {"type": "user", "uuid": "p", "message": {"role": "user", "content": "hello"}}
    path.write_text(json.dumps(prompt) + "\n" + json.dumps(record) + "\n")
    messages = _messages(projects, "-tmp-private/orphan.jsonl", cache)
    assert messages[1] == {"role": "tool", "content": "done", "tool_call_id": "toolu_gone", "name": None}


def test_thinking_goes_to_reasoning_without_signature(projects: Path, cache) -> None:
    """S4.11: thinking is kept apart from text and its signature is dropped."""
    reply = [m for m in _messages(projects, SHORT, cache) if m["role"] == "assistant"][0]
    assert reply["reasoning"].startswith("The user is having trouble starting their Phoenix server.")
    assert "EsMCCkYI" not in json.dumps(reply)
    assert "Phoenix server" not in reply["content"]


def test_images_become_placeholders(projects: Path, cache) -> None:
    """S4.13: image blocks become [image: image/png]; base64 never reaches messages."""
    messages = _messages(projects, IMAGES, cache)
    text = json.dumps(messages)
    assert "iVBORw0KGgo" not in text
    assert messages[0]["content"] == "[image: image/png]\nwhat's this an image of?"


def test_compaction_is_a_divider_with_its_summary(projects: Path, cache) -> None:
    """S4.12: compact_boundary is a divider; the isCompactSummary record is its summary, not a user turn."""
    messages = _messages(projects, COMPACTION, cache)
    dividers = [m for m in messages if m.get("kind") == "compaction"]
    assert len(dividers) == 1
    divider = dividers[0]
    assert divider["role"] == "system" and divider["content"] == "Conversation compacted"
    assert (divider["trigger"], divider["pre_tokens"]) == ("auto", 155979)
    assert divider["summary"].startswith("This session is being continued from a previous conversation")
    assert not any(m["role"] == "user" and m["content"].startswith("This session is being continued") for m in messages)


def test_several_dividers(projects: Path, cache) -> None:
    """S4.12: a file may hold several compactions; each gets its own divider and summary."""
    lines = (projects / COMPACTION).read_bytes().split(b"\n")
    twice = lines[157:163] + lines[157:163]
    path = projects / "-Users-user-repo" / "twice.jsonl"
    path.write_bytes(b"\n".join(twice) + b"\n")
    dividers = [m for m in _messages(projects, "-Users-user-repo/twice.jsonl", cache) if m.get("kind") == "compaction"]
    assert len(dividers) == 2 and all("summary" in d for d in dividers)


def test_commands_meta_caveats_and_interruptions(projects: Path, cache) -> None:
    """S4.13: /name args shown, isMeta expansion and caveats and stdout hidden, interruptions as notices."""
    messages = _messages(projects, COMPACTION, cache)
    assert messages[0] == {"role": "user", "content": "/clear", "timestamp": messages[0]["timestamp"]}
    assert not any("Caveat:" in m["content"] or "local-command-stdout" in m["content"] for m in messages)
    notices = [m for m in messages if m.get("kind") == "interruption"]
    assert len(notices) == 3 and all(n["role"] == "system" for n in notices)
    demo = _messages(projects, INLINE, cache)
    assert demo[0]["content"] == "/orchestrator @CLAUDE.md を最新の状態にアップデートしてください"
    assert not any(m["content"].startswith("Split complex tasks") for m in demo)


def test_sidechains_progress_and_snapshots_are_left_out(projects: Path, cache) -> None:
    """S4.2, S4.8: inline sidechain turns, progress, snapshots and queue operations are dropped."""
    demo = _messages(projects, INLINE, cache)
    assert not any("Examine the package.json" in m["content"] for m in demo)
    assert len(demo) == 24
    heavy = _messages(projects, TOOL_HEAVY, cache)
    assert {m["role"] for m in heavy} <= {"user", "assistant", "tool", "system"}
    assert not any("hook_progress" in json.dumps(m) for m in heavy)


def test_every_message_has_epoch_times(projects: Path, cache) -> None:
    """S4.13, S0.1: message times are epoch floats."""
    for name in (FLAT_AGENTS, SUBAGENTS_DIR):
        for message in _messages(projects, name, cache):
            assert isinstance(message["timestamp"], float)
