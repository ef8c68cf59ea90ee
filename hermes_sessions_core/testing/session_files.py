"""Contracts of the Web UI file layout on any storage that shows its files (S1.4, S2.1-S2.26).

Subclass :class:`SessionFilesContract` and provide ``plugin``, ``locations`` and ``files``: raw
access to the session folder that never goes through the plugin (a :class:`StoredFiles`).
"""

from __future__ import annotations

import json
from typing import Protocol

import pytest

from ..errors import SessionNotFound, SessionUnreadable
from ..tombstones import TOMBSTONES_FILE
from .assertions import assert_file_layout
from .errors import abstract_fixture
from .harness import SourceHarness
from .samples import chat, encode_original, original_record, write_original_file
from .writable import SeedRecord, WritableStoreContract

__all__ = ["SessionFilesContract", "StoredFiles"]

_CONTRACT = "SessionFilesContract"


class StoredFiles(Protocol):
    """Raw access to the session folder of the store under test, by file name."""

    def write_bytes(self, name: str, data: bytes) -> None: ...

    def read_bytes(self, name: str) -> bytes: ...

    def exists(self, name: str) -> bool: ...

    def names(self) -> list[str]: ...


class SessionFilesContract(WritableStoreContract):
    """``<id>.json`` files in the original's bytes, shrink backups, tombstones, store files
    that are never sessions, unreadable files reported instead of raised, no temp leftovers."""

    @pytest.fixture
    def files(self) -> StoredFiles:
        abstract_fixture(
            _CONTRACT, "files",
            "return raw access to the folder behind `locations.sessions_url`: an object with "
            "write_bytes(name, data), read_bytes(name), exists(name) and names() that uses the "
            "filesystem directly (fsspec, pathlib), never the plugin.",
        )

    @pytest.fixture
    def seed_record(self, files: StoredFiles) -> SeedRecord:
        def write(record: dict[str, object]) -> None:
            write_original_file(files, record)

        return write

    @pytest.fixture
    def seed_damaged(self, files: StoredFiles) -> list[str]:
        """A file cut off mid-write, a file holding a JSON list, and one good session."""
        write_original_file(files, original_record("goodone00001", chat(2), title="Still fine"))
        files.write_bytes(
            "cutoff000001.json", encode_original(original_record("cutoff000001", chat(3)))[:150]
        )
        files.write_bytes("notobject001.json", b"[1, 2, 3]\n")
        return ["cutoff000001", "notobject001"]

    def test_files_keep_the_original_layout_and_bytes(
        self, harness: SourceHarness, files: StoredFiles
    ) -> None:
        """S1.4-S1.6: group 1 in order, messages, tool_calls, unknown fields after; the bytes
        of json.dumps(indent=2, ensure_ascii=False); no runtime values."""
        store = harness.store()
        session = store.new_session()
        session.messages.extend(chat(3))
        session.title = "Café ☕"
        session.user_id = "u-1"  # type: ignore[attr-defined]
        session._runtime_flag = True  # type: ignore[attr-defined]
        session.save()
        assert_file_layout(files.read_bytes(f"{session.session_id}.json"), ["user_id"])

    def test_a_shrinking_save_keeps_the_larger_version(
        self, harness: SourceHarness, files: StoredFiles
    ) -> None:
        """S2.17, S2.19: 10 → 5 keeps the 10-message file as <id>.json.bak; 5 → 2 keeps that
        backup; a growing save writes no backup."""
        store = harness.store()
        session = store.new_session()
        session.messages.extend(chat(10))
        session.save()
        backup = f"{session.session_id}.json.bak"
        assert not files.exists(backup), "a first save writes no backup"
        del session.messages[5:]
        session.save()
        assert len(json.loads(files.read_bytes(backup))["messages"]) == 10
        del session.messages[2:]
        session.save()
        assert len(json.loads(files.read_bytes(backup))["messages"]) == 10
        session.messages.extend(chat(20))
        session.save()
        assert len(json.loads(files.read_bytes(backup))["messages"]) == 10

    def test_delete_removes_files_and_tombstones_the_id(
        self, harness: SourceHarness, files: StoredFiles
    ) -> None:
        """S2.26: delete removes <id>.json and its backup and records the id in
        _tombstones.json; saving the id again (deliberately) lifts its tombstone."""
        store = harness.store()
        session = store.new_session()
        session.messages.extend(chat(6))
        session.save()
        del session.messages[2:]
        session.save()
        session_id = session.session_id
        assert store.delete(session_id) is True
        assert not files.exists(f"{session_id}.json") and not files.exists(f"{session_id}.json.bak")
        assert session_id in json.loads(files.read_bytes(TOMBSTONES_FILE)), "no tombstone"
        session.forget_stored()  # saved deliberately, not a stale copy (that one is refused)
        harness.store().save(session)
        assert session_id not in json.loads(files.read_bytes(TOMBSTONES_FILE))

    def test_store_files_and_leftovers_are_never_sessions(
        self, harness: SourceHarness, files: StoredFiles
    ) -> None:
        """S2.1, S2.4: `_…` files, backups without a session and temp files are never listed
        or loaded as sessions."""
        write_original_file(files, original_record("visible00001", chat(2), title="Visible"))
        files.write_bytes("_notes.json", encode_original(original_record("_notes", chat(2))))
        files.write_bytes(
            "orphan000001.json.bak", encode_original(original_record("orphan000001", chat(2)))
        )
        files.write_bytes(
            "temp00000001.tmp.1.2", encode_original(original_record("temp00000001", chat(2)))
        )
        assert set(harness.listed_rows()) == {"visible00001"}
        store = harness.store()
        for name in ("_notes", "orphan000001", "temp00000001"):
            with pytest.raises(SessionNotFound):
                store.get(name)

    def test_unreadable_files_are_reported_not_raised(
        self, harness: SourceHarness, files: StoredFiles, seed_damaged: list[str]
    ) -> None:
        """S2.34, S6.14: a file that does not parse is a listing problem naming it, the other
        sessions still list, and get() raises SessionUnreadable naming the path."""
        listing = harness.call_list_rows()
        assert listing is not None and "goodone00001" in {r.session_id for r in listing.rows}
        described = " ".join(problem.describe() for problem in listing.problems)
        assert "cutoff000001" in described and "notobject001" in described
        for session_id in seed_damaged:
            with pytest.raises(SessionUnreadable) as raised:
                harness.store().get(session_id)
            assert f"{session_id}.json" in str(raised.value)
            assert files.read_bytes(f"{session_id}.json"), "the damaged bytes were left as they are"

    def test_saves_leave_no_temp_files(self, harness: SourceHarness, files: StoredFiles) -> None:
        """S2.3, S2.4: writes go through temp files that are renamed or removed, never left."""
        store = harness.store()
        for _ in range(3):
            session = store.new_session()
            session.messages.extend(chat(4))
            session.save()
            del session.messages[1:]
            session.save()
        store.close()
        leftovers = [name for name in files.names() if ".tmp." in name]
        assert leftovers == []
