"""Transcripts of generated rollouts: what the real files lack (rollbacks, compaction,
aborted turns, reasoning summaries, images, rollouts older than prompt events)."""

from __future__ import annotations

from pathlib import Path

import hermes_sessions_codex
import pytest

from hermes_sessions_core.testing.harness import SourceHarness

from .conftest import Rollout

THREAD = "0199aaaa-0000-7000-8000-000000000001"


@pytest.fixture
def harness(codex_home: Path, locations) -> SourceHarness:
    return SourceHarness(hermes_sessions_codex, locations, {"codex": {"home": str(codex_home)}})


def _messages(harness: SourceHarness, thread: str = THREAD) -> list[dict]:
    transcript = harness.call_read_messages(f"codex_{thread}", limit=100_000)
    assert transcript is not None
    return list(transcript.messages)


def _row(harness: SourceHarness, thread: str = THREAD) -> dict:
    return harness.listed_rows()[f"codex_{thread}"].to_dict()


def test_rollback_drops_the_undone_turns(harness: SourceHarness, codex_home: Path) -> None:
    """thread_rolled_back(num_turns=2) removes the last two prompts and all that followed
    them; a later prompt is kept; the row's counts agree."""
    rollout = Rollout(THREAD).context().injected()
    rollout.prompt("first question").answer("first answer")
    rollout.prompt("undone one").call("c1", "rm -rf build", "removed").answer("did it")
    rollout.prompt("undone two").answer("also did it")
    rollout.add("event_msg", {"type": "thread_rolled_back", "num_turns": 2})
    rollout.prompt("after the rewind").answer("fresh answer")
    rollout.write(codex_home)
    messages = _messages(harness)
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "first question"), ("assistant", "first answer"),
        ("user", "after the rewind"), ("assistant", "fresh answer")]
    row = _row(harness)
    assert (row["message_count"], row["user_message_count"]) == (4, 2)
    assert row["title"] == "first question"


def test_rolling_back_every_turn_retitles_the_row(harness: SourceHarness,
                                                  codex_home: Path) -> None:
    """When the first prompt itself was undone, the title is the first prompt still shown."""
    rollout = Rollout(THREAD).context().prompt("regretted").answer("ok")
    rollout.add("event_msg", {"type": "thread_rolled_back", "num_turns": 5})
    rollout.prompt("the real question").answer("answer")
    rollout.write(codex_home)
    assert _row(harness)["title"] == "the real question"
    assert [m["content"] for m in _messages(harness)] == ["the real question", "answer"]


def test_compaction_keeps_history_and_marks_the_point(harness: SourceHarness,
                                                      codex_home: Path) -> None:
    """A compacted record is a divider with its summary; messages before it stay."""
    rollout = Rollout(THREAD).context().prompt("long task").answer("step one done")
    rollout.add("compacted", {"message": "Summary: step one is done.",
                              "replacement_history": []})
    rollout.add("event_msg", {"type": "context_compacted"})
    rollout.prompt("continue").answer("step two done")
    rollout.write(codex_home)
    messages = _messages(harness)
    assert [m["role"] for m in messages] == ["user", "assistant", "system", "user", "assistant"]
    divider = messages[2]
    assert divider["kind"] == "compaction" and divider["summary"] == "Summary: step one is done."
    assert divider["content"] == "Conversation compacted"


def test_reasoning_is_kept_apart_and_encrypted_content_never_shown(
    harness: SourceHarness, codex_home: Path
) -> None:
    """A reasoning summary rides on the assistant message in ``reasoning``, not ``content``;
    encrypted-only reasoning shows nothing."""
    rollout = Rollout(THREAD).context().prompt("think")
    rollout.reasoning().reasoning("**Planning** the answer").answer("the answer")
    rollout.write(codex_home)
    assistant = _messages(harness)[1]
    assert assistant["content"] == "the answer"
    assert assistant["reasoning"] == "**Planning** the answer"
    assert "secret" not in str(assistant) and assistant["model"] == "gpt-5.5"


def test_tool_call_and_output_pair_by_call_id(harness: SourceHarness, codex_home: Path) -> None:
    """function_call and custom_tool_call become tool_calls; their outputs are tool
    messages with the call's id and name; an output given as content parts becomes text."""
    rollout = Rollout(THREAD).context().prompt("patch it").call("c1", "ls", "a.txt")
    rollout.add("response_item", {"type": "custom_tool_call", "call_id": "c2",
                                  "name": "apply_patch", "input": "*** Begin Patch"})
    rollout.add("response_item", {"type": "custom_tool_call_output", "call_id": "c2",
                                  "output": [{"type": "input_text", "text": "Success"}]})
    rollout.answer("patched").write(codex_home)
    messages = _messages(harness)
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant", "tool",
                                             "assistant"]
    assert messages[1]["tool_calls"][0]["function"] == {"name": "exec_command",
                                                        "arguments": '{"cmd": "ls"}'}
    assert (messages[2]["tool_call_id"], messages[2]["name"], messages[2]["content"]) == (
        "c1", "exec_command", "a.txt")
    assert (messages[4]["tool_call_id"], messages[4]["name"], messages[4]["content"]) == (
        "c2", "apply_patch", "Success")


def test_aborted_turn_is_a_notice(harness: SourceHarness, codex_home: Path) -> None:
    rollout = Rollout(THREAD).context().prompt("start something")
    rollout.add("event_msg", {"type": "turn_aborted", "reason": "interrupted"})
    rollout.write(codex_home)
    notice = _messages(harness)[-1]
    assert notice["role"] == "system" and notice["kind"] == "interrupted"
    assert "interrupted" in notice["content"]


def test_rollouts_without_prompt_events_use_typed_user_items(
    harness: SourceHarness, codex_home: Path
) -> None:
    """Old rollouts have no user_message events: user items that are not injected context
    are the prompts."""
    rollout = Rollout(THREAD).injected().prompt("old style prompt", event=False)
    rollout.answer("old style answer").prompt("second", event=False).answer("ok")
    rollout.write(codex_home)
    assert [(m["role"], m["content"]) for m in _messages(harness)] == [
        ("user", "old style prompt"), ("assistant", "old style answer"),
        ("user", "second"), ("assistant", "ok")]
    assert _row(harness)["title"] == "old style prompt"


def test_images_become_placeholders(harness: SourceHarness, codex_home: Path) -> None:
    """Pasted images (data URLs) never reach messages; attached files show their path."""
    rollout = Rollout(THREAD).context()
    rollout.add("event_msg", {"type": "user_message", "message": "what is this",
                              "images": ["data:image/png;base64,AAAA"],
                              "local_images": ["/tmp/shot.png"]})
    rollout.write(codex_home)
    content = _messages(harness)[0]["content"]
    assert content == "what is this\n[image]\n[image: /tmp/shot.png]"
    assert "base64" not in content


def test_ide_context_header_is_not_the_title(harness: SourceHarness, codex_home: Path) -> None:
    text = ("# Context from my IDE setup:\n\n## Active file: src/app.py\n\n"
            "## My request for Codex:\nfix   the\nlogin bug\n")
    Rollout(THREAD).context().prompt(text).answer("done").write(codex_home)
    assert _row(harness)["title"] == "fix the login bug"


def test_transcript_window_keeps_the_most_recent(harness: SourceHarness,
                                                 codex_home: Path) -> None:
    rollout = Rollout(THREAD).context()
    for number in range(5):
        rollout.prompt(f"prompt {number}").answer(f"answer {number}")
    rollout.write(codex_home)
    transcript = harness.call_read_messages(f"codex_{THREAD}", limit=3)
    assert transcript is not None and transcript.total_count == 10
    assert transcript.messages[0]["kind"] == "notice"
    assert [m["content"] for m in transcript.messages[1:]] == ["answer 3", "prompt 4", "answer 4"]


def test_early_rollouts_without_wrappers_still_open(harness: SourceHarness,
                                                    codex_home: Path) -> None:
    """Codex 0.1x wrote the thread as a bare first line and bare response items (no
    ``type``/``payload`` wrapper, no times): they list and open too."""
    import json

    lines = [
        {"id": THREAD, "timestamp": "2025-05-01T09:00:00.000Z", "instructions": None,
         "git": {"branch": "old"}},
        {"record_type": "state"},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "<user_instructions>\nbe nice\n</user_instructions>"}]},
        {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "an early question"}]},
        {"type": "function_call", "name": "shell", "arguments": '{"command":["ls"]}',
         "call_id": "call_1"},
        {"type": "function_call_output", "call_id": "call_1",
         "output": '{"output":"a.txt","metadata":{"exit_code":0}}'},
        {"type": "message", "role": "assistant", "content": [
            {"type": "output_text", "text": "an early answer"}]},
    ]
    Rollout(THREAD).write(codex_home, data=b"".join(json.dumps(line).encode() + b"\n"
                                                   for line in lines))
    assert [(m["role"], m.get("name"), m["content"]) for m in _messages(harness)] == [
        ("user", None, "an early question"), ("assistant", None, ""),
        ("tool", "shell", '{"output":"a.txt","metadata":{"exit_code":0}}'),
        ("assistant", None, "an early answer")]
    row = _row(harness)
    assert (row["title"], row["git_branch"], row["message_count"]) == (
        "an early question", "old", 4)
