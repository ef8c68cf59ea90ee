"""Saves conditional on the version a copy was loaded from, on every backend (issue 12).

Two store objects on one folder stand for two processes: each keeps its own cache, and each
copy remembers the version it was loaded as. Multi-process runs are in
test_writers_one_session.py.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Session, SessionConflict, SessionNotFound, SessionStore

from .conftest import Backend, chat


def _contents(session: Session) -> list[Any]:
    return [m["content"] for m in session.messages]


def _stored(backend: Backend, session_id: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(backend.read_bytes(f"{session_id}.json"))
    return record


def _say(text: str, at: float) -> dict[str, Any]:
    return {"role": "user", "content": text, "timestamp": at}


@pytest.fixture
def two(make_store: Callable[..., SessionStore]) -> tuple[SessionStore, SessionStore, str]:
    first, second = make_store(), make_store()
    session = first.new_session()
    session.messages.extend(chat(2))
    session.save()
    return first, second, session.session_id


def test_appends_from_two_copies_are_merged_each_once_in_order(two, backend):
    first, second, session_id = two
    mine, theirs = first.get(session_id), second.get(session_id)
    theirs.messages.append(_say("theirs", 1800000001.0))
    theirs.save()
    mine.messages.append(_say("mine", 1800000002.0))
    mine.title = "renamed by mine"
    mine.save()
    stored = _stored(backend, session_id)
    assert [m["content"] for m in stored["messages"]] == [
        "message 0", "message 1", "theirs", "mine"
    ]
    assert stored["message_count"] == 4 and stored["title"] == "renamed by mine"
    assert _contents(mine) == ["message 0", "message 1", "theirs", "mine"]
    (row,) = first.list_sessions().rows
    assert row["message_count"] == 4
    mine.messages.append(_say("again", 1800000003.0))
    mine.save()  # the merged copy is now the stored version: a plain save
    assert _stored(backend, session_id)["message_count"] == 5


def test_a_field_change_on_a_stale_copy_keeps_the_other_sides_messages(two, backend):
    first, second, session_id = two
    mine, theirs = first.get(session_id), second.get(session_id)
    theirs.messages.append(_say("new", 1800000001.0))
    theirs.save()
    mine.pinned = True
    mine.save()
    stored = _stored(backend, session_id)
    assert stored["pinned"] is True and stored["message_count"] == 3


def test_a_clear_against_an_append_is_refused_and_nothing_is_written(two, backend):
    first, second, session_id = two
    mine, theirs = first.get(session_id), second.get(session_id)
    theirs.messages.append(_say("kept", 1800000001.0))
    theirs.save()
    before = backend.read_bytes(f"{session_id}.json")
    loaded_at = mine.updated_at
    mine.declare_shrink()
    mine.messages.clear()
    with pytest.raises(SessionConflict) as raised:
        mine.save()
    assert raised.value.session_id == session_id and session_id in str(raised.value)
    assert backend.read_bytes(f"{session_id}.json") == before
    assert mine.messages == [] and mine.updated_at == loaded_at, "the copy stays as it was"
    fresh = first.get(session_id)  # the store let go of the refused copy
    assert fresh is not mine and _contents(fresh)[-1] == "kept"
    fresh.declare_shrink()
    fresh.messages.clear()
    fresh.save()
    assert _stored(backend, session_id)["messages"] == []


def test_a_stale_copy_never_brings_back_messages_cleared_on_purpose(two, backend):
    first, second, session_id = two
    mine, theirs = first.get(session_id), second.get(session_id)
    theirs.declare_shrink()
    theirs.messages.clear()
    theirs.save()
    mine.messages.append(_say("late", 1800000001.0))
    with pytest.raises(SessionConflict):
        mine.save()
    assert _stored(backend, session_id)["messages"] == []


def test_a_stale_copy_of_a_deleted_session_is_not_resurrected(two, backend):
    first, second, session_id = two
    mine = first.get(session_id)
    assert second.delete(session_id)
    mine.messages.append(_say("late", 1800000001.0))
    with pytest.raises(SessionConflict) as raised:
        mine.save()
    assert "deleted" in str(raised.value)
    assert not backend.exists(f"{session_id}.json")
    assert session_id not in {row.session_id for row in first.list_sessions().rows}
    with pytest.raises(SessionNotFound):
        first.get(session_id)


def test_the_cache_reloads_a_copy_another_writer_changed(two, backend, make_store):
    """One stat (one HEAD on S3 with multi_writer) per cached get; a remote folder written by
    one host skips the check (its saves still merge)."""
    first, second, session_id = two
    if backend.name == "s3":  # re-checked on every get, not after the default 1 s of trust
        settings = {"json_fs": {**backend.settings()["json_fs"], "multi_writer": True,
                                "recheck_after": 0}}
        first = make_store(settings=settings)
    cached = first.get(session_id)
    other = second.get(session_id)
    other.messages.append(_say("from the other process", 1800000001.0))
    other.title = "changed elsewhere"
    other.save()
    again = first.get(session_id)
    assert again is cached, "one object per session in a store"
    if backend.name == "sftp":
        assert again.title == "Untitled", "single-host remote folders are not re-checked"
        return
    assert again.title == "changed elsewhere" and len(again.messages) == 3
    assert again.unchanged_since_stored()


def test_a_cached_copy_with_unsaved_changes_keeps_them_and_merges_on_save(two, backend):
    first, second, session_id = two
    cached = first.get(session_id)
    cached.messages.append(_say("unsaved", 1800000002.0))
    other = second.get(session_id)
    other.messages.append(_say("saved elsewhere", 1800000001.0))
    other.save()
    assert first.get(session_id) is cached and _contents(cached)[-1] == "unsaved"
    cached.save()
    assert [m["content"] for m in _stored(backend, session_id)["messages"]][2:] == [
        "saved elsewhere", "unsaved"
    ]


def test_a_deleted_session_leaves_every_stores_listing(two, backend):
    first, second, session_id = two
    first.get(session_id)  # cached here
    second.delete(session_id)
    assert session_id not in {row.session_id for row in first.list_sessions().rows}


def test_a_session_built_in_memory_is_written_whole(two, backend):
    """The original's contract: ``Session(...).save()`` stores exactly that session."""
    first, _, session_id = two
    replacement = Session(session_id=session_id, title="replaced", messages=chat(1))
    first.save(replacement)
    stored = _stored(backend, session_id)
    assert stored["title"] == "replaced" and stored["message_count"] == 1
    assert backend.exists(f"{session_id}.json.bak"), "the shrink still keeps a backup"


def test_new_sessions_of_two_stores_never_overwrite_each_other(make_store, backend):
    first, second = make_store(), make_store()
    one = first.new_session()
    two_ = second.new_session()
    one.messages.extend(chat(1))
    two_.messages.extend(chat(2))
    one.save()
    two_.save()
    assert len(first.list_sessions().rows) == 2


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_racing_hosts_on_s3_merge_through_if_match(backend, make_store):
    """Two stores with their own folder objects (as two hosts): the server's If-Match
    decides each race, and every append lands exactly once."""
    shared = {"json_fs": {**backend.settings()["json_fs"], "multi_writer": True}}
    first = make_store(settings=shared)
    second = make_store()
    session = first.new_session()
    session.messages.extend(chat(1))
    session.save()
    assert registry.session_files_for(first.context()) is not registry.session_files_for(
        second.context()
    ), "the two stores must not share a lock"
    errors: list[BaseException] = []

    def writer(store: SessionStore, name: str) -> None:
        try:
            for number in range(6):
                copy = store.get(session.session_id)
                copy.messages.append(_say(f"{name}{number}", 1800000000.0 + number))
                copy.save()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=writer, args=(store, name))
        for store, name in ((first, "a"), (second, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    contents = [m["content"] for m in _stored(backend, session.session_id)["messages"]]
    assert sorted(contents[1:]) == sorted([f"a{n}" for n in range(6)] + [f"b{n}" for n in range(6)])


def test_a_copys_own_saves_are_plain_writes_never_merges(make_store, backend):
    """The version a save remembers is the one the next check sees: no spurious re-reads."""
    store = make_store()
    session = store.new_session()
    session.messages.extend(chat(2))
    session.save()
    for number in range(3):
        session.messages.append(_say(f"more {number}", 1800000000.0 + number))
        session.save()
    copy = make_store().get(session.session_id)
    copy.title = "renamed"
    copy.save()
    copy.pinned = True
    copy.save()
    files = registry.session_files_for(store.context())
    assert files.merged_saves == 0 and files.conflicts == 0
