"""Opening OpenCode sessions: tool calls paired with results, reasoning apart, /undo honoured,
compaction shown, children naming their parent, metadata-only loads partial."""

from __future__ import annotations

import json

import pytest
from hermes_sessions_opencode.ids import session_id_for
from hermes_sessions_opencode.sessions import load_opencode_session, read_opencode_transcript

from hermes_sessions_core.errors import PartialSessionSaveError

from .conftest import CHILD, LEGACY_ONLY, MAIN, PLACEHOLDER, REVERTED


def _messages(native, home, settings, cache):
    transcript = read_opencode_transcript(session_id_for(native), [str(home)], settings, cache,
                                          frozenset())
    assert transcript is not None
    return list(transcript.messages)


def test_tool_calls_are_paired_with_their_results(home, settings, cache) -> None:
    """Every finished tool call is followed by a tool message with its output, same callID."""
    messages = _messages(MAIN, home, settings, cache)
    calls = {c["id"]: c["function"]["name"] for m in messages for c in m.get("tool_calls", ())}
    results = {m["tool_call_id"]: m for m in messages if m["role"] == "tool"}
    assert calls == {"toolu_01A9": "bash", "toolu_01B2": "task", "toolu_01C3": "read",
                     "toolu_01D4": "edit", "toolu_01E5": "write"}
    assert set(results) == set(calls)
    for index, message in enumerate(messages):
        for call in message.get("tool_calls", ()):
            later = [m["tool_call_id"] for m in messages[index + 1:] if m["role"] == "tool"]
            assert call["id"] in later, "a result comes after its call"
    assert "19.989999999999998" in results["toolu_01A9"]["content"]
    assert json.loads(calls and next(c for m in messages for c in m.get("tool_calls", ())
                                     if c["id"] == "toolu_01A9")["function"]["arguments"]) == {
        "command": "npm test -- checkout", "description": "Run the checkout tests"}
    assert results["toolu_01B2"]["subagent_session_id"] == session_id_for(CHILD)


def test_reasoning_is_kept_apart_from_the_answer(home, settings, cache) -> None:
    messages = _messages(MAIN, home, settings, cache)
    with_reasoning = [m for m in messages if m.get("reasoning")]
    assert len(with_reasoning) == 1
    assert "float arithmetic" in with_reasoning[0]["reasoning"]
    assert "float arithmetic" not in " ".join(m["content"] for m in messages)


def test_undone_messages_are_not_shown(home, settings, cache, manifest) -> None:
    """What /undo took back (the last prompt and its answer) is not in the transcript."""
    messages = _messages(REVERTED, home, settings, cache)
    said = " ".join(m["content"] for m in messages)
    assert "Go ahead and apply it." not in said and "Applied the split." not in said
    assert "Split OrderService" in said


def test_compaction_is_a_divider_and_the_summary_is_marked(home, settings, cache) -> None:
    messages = _messages(REVERTED, home, settings, cache)
    kinds = [(m["role"], m.get("kind")) for m in messages]
    assert ("system", "compaction") in kinds and ("assistant", "compaction_summary") in kinds
    assert kinds.index(("system", "compaction")) < kinds.index(("assistant", "compaction_summary"))


def test_aborted_message_carries_its_error(home, settings, cache) -> None:
    messages = _messages(PLACEHOLDER, home, settings, cache)
    assert any(m.get("error") == "MessageAbortedError" for m in messages)
    assert any(m["role"] == "tool" and m.get("is_error") for m in messages)


def test_legacy_sessions_open_from_the_json_tree(home, settings, cache, manifest) -> None:
    messages = _messages(LEGACY_ONLY, home, settings, cache)
    assert messages[0] == {**messages[0], "role": "user",
                           "content": manifest[LEGACY_ONLY]["first_user_text"]}
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]


def test_child_session_opens_and_names_its_parent(home, settings, cache, manifest) -> None:
    session = load_opencode_session(session_id_for(CHILD), [str(home)], settings, cache,
                                    frozenset())
    assert session is not None
    assert session.compact()["parent_session_id"] == session_id_for(MAIN)
    assert session.title == manifest[CHILD]["title"]
    assert session.messages[0]["content"] == manifest[CHILD]["first_user_text"]


def test_metadata_only_load_is_partial_and_cannot_be_saved(home, settings, cache) -> None:
    light = load_opencode_session(session_id_for(MAIN), [str(home)], settings, cache,
                                  frozenset(), metadata_only=True)
    full = load_opencode_session(session_id_for(MAIN), [str(home)], settings, cache,
                                 frozenset())
    assert light is not None and full is not None
    assert light.messages == [] and light.is_partial and light.message_count == 4
    assert len(full.messages) >= light.message_count and not full.is_partial
    assert full.read_only
    with pytest.raises(PartialSessionSaveError):
        light.save()


def test_transcript_limit_keeps_the_most_recent(home, settings, cache) -> None:
    transcript = read_opencode_transcript(session_id_for(MAIN), [str(home)], settings, cache,
                                          frozenset(), limit=2)
    assert transcript is not None and transcript.total_count == 13
    assert transcript.messages[0]["kind"] == "notice" and len(transcript.messages) == 3


def test_unknown_and_foreign_ids_are_not_found(home, settings, cache) -> None:
    for session_id in ("opencode_ses_0000dead", "claude_code_abc", "opencode_--zz"):
        assert read_opencode_transcript(session_id, [str(home)], settings, cache,
                                        frozenset()) is None
