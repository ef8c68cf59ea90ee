"""The JSONL rules, on generated chats: re-appended messages (last copy wins, first
appearance keeps the order), $rewindTo (what the user undid is not shown as said), $set
patches and whole-list checkpoints, and bad lines skipped."""

from __future__ import annotations

from hermes_sessions_gemini_cli import list_gemini_rows, read_transcript

from .conftest import gemini, user

SESSION = "11111111-2222-4333-8444-555555555555"
ID = f"gemini_cli_{SESSION}"


def _contents(home, cache):
    transcript = read_transcript(ID, [home.root], cache=cache)
    assert transcript is not None
    return [(m["role"], m["content"]) for m in transcript.messages]


def _row(home, cache):
    (row,) = list_gemini_rows([home.root], cache=cache).rows
    return row


def test_reappended_message_replaces_the_first_copy_in_place(gemini_home, cache):
    """A gemini message written again with the same id is one message, at its first place,
    with the last copy's content and tokens."""
    gemini_home.jsonl(SESSION, [
        user("u1", "first question"),
        gemini("g1", "draft", tokens={"input": 10, "output": 1, "cached": 0, "thoughts": 0,
                                      "tool": 0, "total": 11}),
        user("u2", "second question", at="2026-02-01T10:01:00.000Z"),
        gemini("g1", "final answer", tokens={"input": 10, "output": 7, "cached": 0,
                                             "thoughts": 0, "tool": 0, "total": 17}),
    ])
    assert _contents(gemini_home, cache) == [
        ("user", "first question"), ("assistant", "final answer"), ("user", "second question")]
    row = _row(gemini_home, cache)
    assert (row["output_tokens"], row["message_count"]) == (7, 3)


def test_rewind_drops_the_message_and_everything_after(gemini_home, cache):
    """$rewindTo u2 removes u2 and its answer; what follows the rewind is the conversation."""
    gemini_home.jsonl(SESSION, [
        user("u1", "keep this"), gemini("g1", "kept answer"),
        user("u2", "undo this please"), gemini("g2", "undone answer"),
        {"$rewindTo": "u2"},
        user("u3", "instead this"), gemini("g3", "new answer"),
    ])
    shown = _contents(gemini_home, cache)
    assert shown == [("user", "keep this"), ("assistant", "kept answer"),
                     ("user", "instead this"), ("assistant", "new answer")]
    row = _row(gemini_home, cache)
    assert row["user_message_count"] == 2 and row["rewinds"] == 1
    assert [r["messages"] for r in row["usage"]] == [2]  # g2's tokens were undone too


def test_rewind_of_the_first_prompt_changes_the_title(gemini_home, cache):
    """The title is the first prompt still said, not one the user rewound."""
    gemini_home.jsonl(SESSION, [
        user("u1", "rewound prompt"), gemini("g1", "x"), {"$rewindTo": "u1"},
        user("u2", "the real question"), gemini("g2", "y"),
    ])
    assert _row(gemini_home, cache)["title"] == "the real question"


def test_rewind_to_an_unknown_id_drops_every_message(gemini_home, cache):
    """As Gemini's loader does: an id it cannot find empties the conversation."""
    gemini_home.jsonl(SESSION, [user("u1", "gone"), gemini("g1", "gone too"),
                                {"$rewindTo": "nope"}, user("u2", "after")])
    assert _contents(gemini_home, cache) == [("user", "after")]


def test_checkpoint_replaces_the_list_and_later_lines_still_count(gemini_home, cache):
    """A $set with a whole messages list replaces what came before; messages appended
    after it are still shown."""
    gemini_home.jsonl(SESSION, [
        user("u1", "original prompt"), gemini("g1", "original answer"),
        {"$set": {"messages": [user("u1", "original prompt"),
                               gemini("g1", "compressed answer")],
                  "lastUpdated": "2026-02-01T11:00:00.000Z"}},
        user("u2", "later prompt", at="2026-02-01T11:00:01.000Z"),
    ])
    assert _contents(gemini_home, cache) == [
        ("user", "original prompt"), ("assistant", "compressed answer"), ("user", "later prompt")]


def test_summary_set_later_is_the_title(gemini_home, cache):
    """A summary Gemini wrote later ($set) is the title, whitespace collapsed."""
    gemini_home.jsonl(SESSION, [user("u1", "prompt"), gemini("g1", "answer"),
                                {"$set": {"summary": "Fix the   flaky\ntests"}}])
    assert _row(gemini_home, cache)["title"] == "Fix the flaky tests"


def test_last_activity_is_the_latest_set(gemini_home, cache):
    """Last activity is the latest lastUpdated; first activity the startTime."""
    gemini_home.jsonl(SESSION, [user("u1", "prompt"), gemini("g1", "answer"),
                                {"$set": {"lastUpdated": "2026-02-03T09:00:00.000Z"}}])
    row = _row(gemini_home, cache)
    assert row["last_message_at"] == 1770109200.0
    assert row["created_at"] == 1769940000.0


def test_bad_lines_are_skipped(gemini_home, cache):
    """Lines that are not JSON objects, or cut short, are skipped; the rest is read."""
    path = gemini_home.jsonl(SESSION, [user("u1", "prompt"), gemini("g1", "answer")])
    path.write_bytes(path.read_bytes() + b'not json\n["a list"]\n{"id":"g2","type":"gem')
    assert _contents(gemini_home, cache) == [("user", "prompt"), ("assistant", "answer")]


def test_oversized_jsonl_keeps_head_and_tail_and_a_rewind_into_the_middle(gemini_home, cache):
    """Above max_jsonl_bytes the head and the last max_jsonl_bytes are replayed; a rewind to
    a message of the unread middle drops what came after it, never the head."""
    from hermes_sessions_gemini_cli.settings import GeminiSettings
    records = [user("u1", "opening prompt"), gemini("g1", "opening answer")]
    records += [gemini(f"m{index}", "middle " * 200) for index in range(20)]
    records += [user("late", "late prompt"), {"$rewindTo": "m3"}, user("u9", "after the rewind")]
    gemini_home.jsonl(SESSION, records)
    settings = GeminiSettings(head_bytes=1024, max_jsonl_bytes=2048)
    transcript = read_transcript(ID, [gemini_home.root], cache=cache, settings=settings)
    assert transcript is not None and transcript.truncated
    assert [m["content"] for m in transcript.messages] == [
        "opening prompt", "opening answer", "after the rewind"]
