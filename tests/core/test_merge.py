"""The three-way merge of a copy being saved with what another writer stored since (issue 12)."""

from __future__ import annotations

import pytest

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import SessionConflict
from hermes_sessions_core.merge import merge_records, message_key, snapshot_of
from hermes_sessions_core.models import Session


def message(text: str, at: float, role: str = "user", **extra: object) -> dict:
    return {"role": role, "content": text, "timestamp": at, **extra}


def record(messages: list[dict], **fields: object) -> dict:
    fields.setdefault("title", "t")
    session = Session(session_id="merge0000001", messages=list(messages), **fields)
    session.updated_at = 100.0
    return session.to_record()


BASE = [message("hello", 1), message("hi", 2, "assistant")]


def merge(base: dict, ours: dict, theirs: dict) -> dict:
    return merge_records(snapshot_of(base), ours, theirs, session_id="merge0000001",
                         versions=("v1", "v2"))


def test_both_sides_appended_keeps_each_new_message_once_in_timestamp_order():
    base = record(BASE)
    ours = record(BASE + [message("ours-a", 3), message("ours-b", 6, "assistant")])
    theirs = record(BASE + [message("theirs-a", 4), message("ours-a", 3)])
    merged = merge(base, ours, theirs)
    assert [m["content"] for m in merged["messages"]] == [
        "hello", "hi", "ours-a", "theirs-a", "ours-b"
    ]


def test_equal_timestamps_keep_each_sides_order_theirs_first():
    base = record(BASE)
    ours = record(BASE + [message("q", 5), message("a", 5, "assistant")])
    theirs = record(BASE + [message("Q", 5), message("A", 5, "assistant")])
    merged = merge(base, ours, theirs)
    assert [m["content"] for m in merged["messages"][2:]] == ["Q", "A", "q", "a"]


def test_only_one_side_changed_messages_takes_that_side_whole():
    base = record(BASE)
    cleared = record([], title="t")
    renamed = record(BASE, title="renamed")
    merged = merge(base, renamed, cleared)
    assert merged["messages"] == [] and merged["title"] == "renamed"
    merged = merge(base, cleared, renamed)
    assert merged["messages"] == [] and merged["title"] == "renamed"


@pytest.mark.parametrize("rewrite", ["clear", "truncate", "retry"])
def test_a_rewrite_against_appended_messages_is_a_conflict(rewrite):
    base = record(BASE + [message("third", 3)])
    rewritten = {
        "clear": [],
        "truncate": BASE[:1],
        "retry": BASE + [message("third, again", 4)],
    }[rewrite]
    appended = record(BASE + [message("third", 3), message("fourth", 5)])
    for ours, theirs in ((record(rewritten), appended), (appended, record(rewritten))):
        with pytest.raises(SessionConflict) as raised:
            merge(base, ours, theirs)
        error = raised.value
        assert error.session_id == "merge0000001"
        assert (error.loaded_version, error.current_version) == ("v1", "v2")
        assert "merge0000001" in str(error) and "v1" in str(error) and "v2" in str(error)


def test_a_declared_shrink_against_appended_messages_is_a_conflict():
    base = record(BASE)
    shrunk = Session.from_record(record(BASE))
    shrunk.declare_shrink()
    appended = record(BASE + [message("more", 3)])
    with pytest.raises(SessionConflict):
        merge(base, shrunk.to_record(), appended)
    # a declared shrink with no message change on the other side is simply taken
    merged = merge(base, shrunk.to_record(), record(BASE, title="renamed"))
    assert merged["intentional_shrink_generation"] == 1 and merged["title"] == "renamed"


def test_fields_merge_one_by_one_the_later_save_winning_when_both_changed():
    base = record(BASE, pinned=False, archived=False, project_id=None)
    ours = record(BASE, pinned=True, archived=False, project_id="p1", title="ours")
    theirs = record(BASE, pinned=False, archived=True, project_id=None, title="theirs")
    merged = merge(base, ours, theirs)
    assert merged["pinned"] is True and merged["archived"] is True
    assert merged["project_id"] == "p1" and merged["title"] == "ours"


def test_token_counters_add_both_sides_increments():
    base = record(BASE, input_tokens=100, output_tokens=10, estimated_cost=0.5)
    ours = record(BASE, input_tokens=150, output_tokens=20, estimated_cost=0.75)
    theirs = record(BASE, input_tokens=130, output_tokens=10, estimated_cost=1.0)
    merged = merge(base, ours, theirs)
    assert (merged["input_tokens"], merged["output_tokens"]) == (180, 20)
    assert merged["estimated_cost"] == pytest.approx(1.25)


def test_updated_at_is_the_later_of_the_two():
    base = record(BASE)
    ours, theirs = record(BASE), record(BASE)
    ours["updated_at"], theirs["updated_at"] = 200.0, 300.0
    assert merge(base, ours, theirs)["updated_at"] == 300.0


def test_an_edited_message_is_a_different_message():
    assert message_key(message("a", 1)) != message_key(message("b", 1))
    assert message_key(message("a", 1, id="x")) != message_key(message("a", 1, id="y"))
    assert message_key(message("a", 1)) != message_key(message("a", 1, attachments=[]))
    assert message_key(message([{"type": "text", "text": "a"}], 1)) == message_key(
        message([{"text": "a", "type": "text"}], 1)
    )
    base = record(BASE)
    edited = record([BASE[0], message("hi (edited)", 2, "assistant")])
    with pytest.raises(SessionConflict):
        merge(base, edited, record(BASE + [message("new", 3)]))


def test_inputs_are_never_modified():
    base = record(BASE)
    ours = record(BASE + [message("o", 3)])
    theirs = record(BASE + [message("t", 4)])
    before = (list(ours["messages"]), list(theirs["messages"]))
    merge(base, ours, theirs)
    assert (ours["messages"], theirs["messages"]) == before


def test_a_snapshot_tells_whether_a_copy_changed_in_place():
    session = Session(session_id="merge0000001", messages=[message("a", 1)],
                      composer_draft={"text": ""})
    session.remember_stored("v1", jsoncodec.dumps_pretty(session.to_record()))
    assert session.unchanged_since_stored()
    session.composer_draft["text"] = "typing"  # a change made in place
    assert not session.unchanged_since_stored()


def test_messages_merged_in_front_of_newer_ones_still_merge_later():
    """A: appends a; B: appends b (later), saves; C loads p+b; A saves (file: p, a, b);
    C appends c and saves: C's base (p, b) is still there in order, so C merges."""
    c_base = record(BASE + [message("b", 5)])
    c_ours = record(BASE + [message("b", 5), message("c", 7)])
    stored = record(BASE + [message("a", 4), message("b", 5)])
    merged = merge(c_base, c_ours, stored)
    assert [m["content"] for m in merged["messages"]] == ["hello", "hi", "a", "b", "c"]


def test_a_repeated_identical_message_is_kept_as_often_as_each_side_has_it():
    base = record(BASE)
    ours = record(BASE + [message("ok", 3), message("ok", 3)])
    theirs = record(BASE + [message("ok", 3)])
    assert [m["content"] for m in merge(base, ours, theirs)["messages"]][2:] == ["ok", "ok"]


def test_additions_keep_each_sides_own_order_whatever_their_timestamps():
    """Timestamps from two clocks may disagree with the order a side stored: each side's own
    order is kept, and additions stay between the same base messages."""
    base = record(BASE + [message("b", 5)])
    ours = record(BASE + [message("b", 5), message("late but old", 1)])
    theirs = record(BASE + [message("a", 4), message("b", 5)])
    merged = [m["content"] for m in merge(base, ours, theirs)["messages"]]
    assert merged == ["hello", "hi", "a", "b", "late but old"]
