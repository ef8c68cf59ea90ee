"""The Web UI JSON store (S2) on every backend: local folder and memory://."""

from __future__ import annotations

import json
import threading
import time

import pytest

from hermes_sessions_core import (
    InvalidSessionId,
    PartialSessionSaveError,
    Session,
    SessionNotFound,
    SessionUnreadable,
)
from hermes_sessions_core.models import METADATA_FIELDS

from ..original_format import ORIGINAL_METADATA_ORDER
from .conftest import chat, original_file


def _saved(store, title="A chat", count=4, **fields):
    session = store.new_session()
    session.title = title
    session.messages.extend(chat(count))
    for key, value in fields.items():
        setattr(session, key, value)
    session.save()
    return session


# ── format and compatibility ─────────────────────────────────────────────────────────────────


def test_file_layout_matches_the_original_bytes(store, backend):
    """S1.4: group 1 in order, then messages and tool_calls, then the rest; bytes are
    json.dumps(indent=2, ensure_ascii=False) so today's Web UI reads them unchanged."""
    session = _saved(store, title="Café ☕", user_id="u-1", last_usage={"in": 3})
    data = backend.read_bytes(f"{session.session_id}.json")
    record = json.loads(data)
    keys = list(record)
    assert keys[: len(METADATA_FIELDS)] == list(METADATA_FIELDS)
    assert keys[: len(ORIGINAL_METADATA_ORDER)] == list(ORIGINAL_METADATA_ORDER)
    assert keys[len(METADATA_FIELDS): len(METADATA_FIELDS) + 2] == ["messages", "tool_calls"]
    assert "user_id" in keys[len(METADATA_FIELDS) + 2:]
    assert data == json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    assert record["message_count"] == 4
    for never in ("is_streaming", "last_message_at", "user_message_count", "has_pending_user_message"):
        assert never not in record


def test_original_file_loads_unchanged_and_keeps_unknown_fields(store, backend):
    """S1.7, S8.6: a file from today's Web UI loads, and unknown fields survive the next save."""
    backend.write_bytes(
        "abc123def456.json",
        original_file("abc123def456", chat(3), title="Legacy", user_id="u9", chat_id="c1",
                      last_usage={"prompt": 12}),
    )
    session = store.get("abc123def456")
    assert session.title == "Legacy" and len(session.messages) == 3
    assert session.user_id == "u9" and session.last_usage == {"prompt": 12}
    session.messages.append({"role": "user", "content": "more", "timestamp": 1700000999})
    session.save()
    record = json.loads(backend.read_bytes("abc123def456.json"))
    assert record["user_id"] == "u9" and record["chat_id"] == "c1"
    assert record["last_usage"] == {"prompt": 12}
    assert record["message_count"] == 4


def test_every_field_survives_save_then_load(make_store):
    """S1.9: context limits, routing, title flag, parent link, worktree and context messages."""
    store = make_store()
    session = _saved(
        store,
        context_length=200000, threshold_tokens=150000, last_prompt_tokens=1234,
        gateway_routing={"provider": "x"}, gateway_routing_history=[{"a": 1}],
        llm_title_generated=True, parent_session_id="parent_1",
        context_messages=[{"role": "system", "content": "compacted"}],
        enabled_toolsets=["web"], composer_draft={"text": "half"},
    )
    fresh = make_store().get(session.session_id)
    for name in ("context_length", "threshold_tokens", "last_prompt_tokens", "gateway_routing",
                 "gateway_routing_history", "llm_title_generated", "parent_session_id",
                 "context_messages", "enabled_toolsets", "composer_draft", "title"):
        assert getattr(fresh, name) == getattr(session, name), name


# ── new sessions ─────────────────────────────────────────────────────────────────────────────


def test_new_sessions_write_nothing_until_saved(store, backend):
    """S2.28: five creates leave zero files, yet get() finds each; the first save creates it."""
    created = [store.new_session() for _ in range(5)]
    assert [n for n in backend.names() if n.endswith(".json")] == []
    for session in created:
        assert store.get(session.session_id) is session
    created[0].messages.append({"role": "user", "content": "hi"})
    created[0].save()
    assert backend.exists(f"{created[0].session_id}.json")


def test_worktree_session_is_saved_at_once_and_listed(store, backend, tmp_path):
    """S2.30: a worktree session is written immediately, uses the worktree as its workspace,
    and stays listed while empty (S6.6)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    session = store.new_session(worktree_info={"path": str(tree), "branch": "feat"})
    assert backend.exists(f"{session.session_id}.json")
    assert session.workspace == str(tree.resolve())
    rows = store.list_sessions().rows
    assert [r["session_id"] for r in rows] == [session.session_id]
    assert rows[0]["worktree_branch"] == "feat"


# ── index ────────────────────────────────────────────────────────────────────────────────────


def test_listing_sees_every_completed_save(make_store):
    """S2.6, S2.8: each save is visible to a reader at once, in another store object too."""
    writer = make_store()
    reader = make_store()
    first = _saved(writer, title="first")
    assert [r["title"] for r in reader.list_sessions().rows] == ["first"]
    first.title = "renamed"
    first.save()
    second = _saved(writer, title="second")
    titles = {r["session_id"]: r["title"] for r in reader.list_sessions().rows}
    assert titles == {first.session_id: "renamed", second.session_id: "second"}


def test_index_file_is_a_list_of_rows_after_close(store, backend):
    """S2.7: `_index.json` is a JSON list of rows, newest first, readable by today's Web UI."""
    a = _saved(store, title="old")
    time.sleep(0.01)
    b = _saved(store, title="new")
    store.close()
    index = json.loads(backend.read_bytes("_index.json"))
    assert [row["session_id"] for row in index] == [b.session_id, a.session_id]
    assert index[0]["message_count"] == 4 and index[0]["is_streaming"] is False


@pytest.mark.parametrize("damage", [None, b"{not json", b'{"a": 1}'])
def test_missing_or_corrupt_index_is_rebuilt(make_store, backend, damage):
    """S2.9: a missing or corrupt index silently triggers a rebuild from the files."""
    store = make_store()
    session = _saved(store, title="kept")
    store.close()
    if damage is None:
        backend.fs.rm_file(backend.path("_index.json"))
    else:
        backend.write_bytes("_index.json", damage)
    from hermes_sessions_json_fs import registry

    registry.forget_all()
    rows = make_store().list_sessions().rows
    assert [r["session_id"] for r in rows] == [session.session_id]
    assert isinstance(json.loads(backend.read_bytes("_index.json")), list)


def test_ghost_rows_dropped_and_unindexed_files_added(make_store, backend):
    """S2.8, S2.35: rows without a file disappear; files the index lacks are listed."""
    store = make_store()
    ghost = _saved(store, title="ghost")
    store.close()
    backend.fs.rm_file(backend.path(f"{ghost.session_id}.json"))
    backend.write_bytes("feedbeef0001.json", original_file("feedbeef0001", chat(2), title="outside"))
    rows = make_store().list_sessions().rows
    assert [r["title"] for r in rows] == ["outside"]


def test_concurrent_saves_of_different_sessions_all_land(store):
    """S2.10: index writers share a lock, so no concurrent save loses its row."""
    sessions = [store.new_session() for _ in range(12)]

    def work(session):
        session.messages.append({"role": "user", "content": f"for {session.session_id}"})
        session.title = session.session_id
        session.save()

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listed = {r["session_id"] for r in store.list_sessions().rows}
    assert listed == {s.session_id for s in sessions}


def test_two_threads_saving_one_session_both_succeed(store, backend):
    """S2.4, #765: temp names are per process and thread, so both saves succeed."""
    session = _saved(store)
    errors = []

    def work():
        try:
            for _ in range(10):
                session.save()
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert json.loads(backend.read_bytes(f"{session.session_id}.json"))["message_count"] == 4
    assert not [n for n in backend.names() if ".tmp." in n]


# ── metadata-only reads ──────────────────────────────────────────────────────────────────────


def test_metadata_only_read_skips_the_transcript(make_store, backend, monkeypatch):
    """S2.11-S2.14: at most the first 64 KB is read, counts are the recorded ones (never 0),
    the object cannot be saved, and it does not fill the cache."""
    store = make_store()
    big = [{"role": "user", "content": "x" * 200_000, "timestamp": 1700000001}]
    big += chat(9, start=1700000002)
    session = _saved(store, title='has "messages": inside', count=0)
    session.messages = big
    session.save()
    fresh = make_store()
    from hermes_sessions_json_fs import storage

    reads = []

    def counting(original):
        def read(self, name):
            reads.append(name)
            return original(self, name)

        return read

    for cls in (storage.LocalFolder, storage.RemoteFolder):
        monkeypatch.setattr(cls, "read", counting(cls.read))
    partial = fresh.get(session.session_id, metadata_only=True)
    assert f"{session.session_id}.json" not in reads
    assert partial.is_partial and partial.messages == []
    row = partial.compact()
    assert row["message_count"] == 10 and row["user_message_count"] == 6
    assert row["title"] == 'has "messages": inside'
    assert fresh.cached_ids() == []
    with pytest.raises(PartialSessionSaveError):
        partial.save()
    with pytest.raises(PartialSessionSaveError):
        fresh.save(partial)
    assert json.loads(backend.read_bytes(f"{session.session_id}.json"))["message_count"] == 10


def test_metadata_only_falls_back_to_full_load_for_legacy_files(store, backend):
    """S2.12, S2.13: without message_count the count is unknown, so a full load answers."""
    backend.write_bytes("abcabcabc123.json", original_file("abcabcabc123", chat(6)))
    session = store.get("abcabcabc123", metadata_only=True)
    assert session.compact()["message_count"] == 6


# ── backups and damage ───────────────────────────────────────────────────────────────────────


def test_shrink_keeps_a_backup_and_growth_does_not(store, backend):
    """S2.17: 10 → 5 backs up the 10-message file; growing writes no backup."""
    session = _saved(store, count=10)
    session.messages.append({"role": "user", "content": "grow"})
    session.save()
    assert not backend.exists(f"{session.session_id}.json.bak")
    session.messages = session.messages[:5]
    session.save()
    backup = json.loads(backend.read_bytes(f"{session.session_id}.json.bak"))
    assert len(backup["messages"]) == 11


def test_larger_backup_of_same_generation_is_kept(store, backend):
    """S2.19, S8.4: 1000 → 500 → 10 keeps the 1000-message backup."""
    session = _saved(store, count=1000)
    session.messages = session.messages[:500]
    session.save()
    session.messages = session.messages[:10]
    session.save()
    backup = json.loads(backend.read_bytes(f"{session.session_id}.json.bak"))
    assert len(backup["messages"]) == 1000


def test_corrupt_file_is_kept_aside_before_being_replaced(store, backend):
    """S2.18, S8.3: an unparseable file is copied to .corrupt.<time> before a save replaces it."""
    backend.write_bytes("c0ffee000001.json", b'{"session_id": "c0ffee000001", "messa')
    with pytest.raises(SessionUnreadable) as raised:
        store.get("c0ffee000001")
    assert "c0ffee000001" in str(raised.value)
    session = Session(session_id="c0ffee000001", title="new", messages=chat(1))
    store.save(session)
    aside = [n for n in backend.names() if n.startswith("c0ffee000001.json.corrupt.")]
    assert len(aside) == 1
    assert backend.read_bytes(aside[0]) == b'{"session_id": "c0ffee000001", "messa'


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\x00garbage", b'{"session_id": "bad', b"[1, 2, 3]", b""],
    ids=["non-utf8", "truncated", "not-an-object", "empty"],
)
def test_bad_files_are_skipped_in_listings_with_a_problem(store, backend, data):
    """S0.3, S2.34: a damaged file never crashes the list; it is reported and left untouched."""
    good = _saved(store, title="good")
    backend.write_bytes("baddbadd0001.json", data)
    listing = store.list_sessions()
    assert [r["session_id"] for r in listing.rows] == [good.session_id]
    assert any("baddbadd0001" in (p.path or "") + p.message for p in listing.problems)
    assert backend.read_bytes("baddbadd0001.json") == data
    with pytest.raises(SessionUnreadable):
        store.get("baddbadd0001")


# ── ids ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "bad_id", ["../etc/passwd", "a/b", "_index", "UPPER", "", "x.json", "..", "a\x00b", "sp ace"]
)
def test_malformed_ids_read_as_not_found_and_write_nothing(store, backend, bad_id):
    """S1.2, S1.3: reads of a bad id are "not found"; writes raise naming the id; no file."""
    before = backend.names()
    with pytest.raises(SessionNotFound):
        store.get(bad_id)
    with pytest.raises(SessionNotFound):
        store.get(bad_id, metadata_only=True)
    with pytest.raises(InvalidSessionId) as raised:
        store.save(Session(session_id="placeholder1", title="t"), touch_updated_at=True) if False else store.save(
            _with_id(bad_id)
        )
    assert repr(bad_id) in str(raised.value)
    with pytest.raises(InvalidSessionId):
        store.delete(bad_id)
    assert backend.names() == before


def _with_id(session_id):
    session = Session(title="t", messages=chat(1))
    session.session_id = session_id
    return session


def test_hyphenated_agent_ids_can_be_saved_opened_and_deleted(store):
    """S1.2, S8.13 (#3023): ids with '-' work end to end."""
    session = Session(session_id="api-20261123-abc", title="api", messages=chat(2))
    store.save(session)
    assert store.get("api-20261123-abc").title == "api"
    assert store.delete("api-20261123-abc") is True


# ── delete and tombstones ────────────────────────────────────────────────────────────────────


def test_delete_removes_file_backup_row_cache_and_lock(store, backend):
    """S2.26: file, .bak, index row, cache entry and lock go; the id is tombstoned."""
    session = _saved(store, count=4)
    session.messages = session.messages[:1]
    session.save()
    lock = store.session_lock(session.session_id)
    assert backend.exists(f"{session.session_id}.json.bak")
    assert store.delete(session.session_id) is True
    assert not backend.exists(f"{session.session_id}.json")
    assert not backend.exists(f"{session.session_id}.json.bak")
    assert store.list_sessions().rows == ()
    assert session.session_id not in store.cached_ids()
    assert store.session_lock(session.session_id) is not lock
    assert session.session_id in json.loads(backend.read_bytes("_tombstones.json"))
    assert store.delete(session.session_id) is False


def test_saving_again_lifts_the_tombstone(store, backend):
    """S2.26: saving a deleted id again lifts its tombstone."""
    session = _saved(store)
    store.delete(session.session_id)
    store.save(Session(session_id=session.session_id, title="back", messages=chat(1)))
    assert session.session_id not in json.loads(backend.read_bytes("_tombstones.json"))


def test_metadata_only_read_in_a_fresh_process_never_reads_the_transcript(make_store, backend, monkeypatch):
    """S2.11, S2.13, S1.15: after the index was folded and the process restarted, a metadata
    read still reads only the prefix: the recorded count is reported, the user count (never
    stored in the file, S1.5) is unknown rather than 0, last activity falls back to updated_at."""
    store = make_store()
    session = _saved(store, count=12)
    store.close()
    from hermes_sessions_json_fs import registry, storage

    registry.forget_all()
    reads = []

    def counting(original):
        def read(self, name):
            reads.append(name)
            return original(self, name)

        return read

    for cls in (storage.LocalFolder, storage.RemoteFolder):
        monkeypatch.setattr(cls, "read", counting(cls.read))
    partial = make_store().get(session.session_id, metadata_only=True)
    assert f"{session.session_id}.json" not in reads
    row = partial.compact()
    assert row["message_count"] == 12
    assert row["user_message_count"] is None
    assert row["last_message_at"] == partial.updated_at
