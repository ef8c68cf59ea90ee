"""Contracts of a writable store, checked through :class:`SessionStore` (S1.7, S1.9, S2.6-S2.28).

Subclass :class:`WritableStoreContract` and provide ``plugin``, ``locations`` (where the store
keeps its sessions), ``seed_record`` (write one session record in your real format without the
plugin) and ``seed_damaged``. Stores that keep the Web UI's file layout use
:class:`~hermes_sessions_core.testing.session_files.SessionFilesContract`, which provides
``seed_record`` and ``seed_damaged`` from raw file access.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from ..errors import InvalidSessionId, PartialSessionSaveError, SessionConflict, SessionNotFound
from ..locations import Locations
from ..models import Session
from .errors import abstract_fixture
from .harness import SourceHarness
from .readable import ReadableSourceContract
from .samples import chat, original_record

__all__ = ["WritableStoreContract", "SeedRecord"]

SeedRecord = Callable[[dict[str, Any]], None]
_CONTRACT = "WritableStoreContract"

#: Values that must survive save then load (S1.9), including fields nobody named (S1.7).
_EVERY_FIELD: dict[str, Any] = {
    "title": "Café ☕ round trip",
    "model": "gpt-test",
    "model_provider": "openai",
    "project_id": "proj_1",
    "pinned": True,
    "input_tokens": 12,
    "output_tokens": 34,
    "estimated_cost": 0.5,
    "context_length": 200000,
    "threshold_tokens": 150000,
    "last_prompt_tokens": 1234,
    "gateway_routing": {"provider": "x"},
    "gateway_routing_history": [{"at": 1.0}],
    "llm_title_generated": True,
    "parent_session_id": "parent_1",
    "enabled_toolsets": ["web"],
    "composer_draft": {"text": "half"},
    "context_messages": [{"role": "system", "content": "compacted"}],
    "user_id": "u-1",
    "chat_id": "c-1",
    "last_usage": {"prompt": 12},
    "a_field_from_the_future": {"nested": [1, 2, 3]},
}


class WritableStoreContract(ReadableSourceContract):
    """The writable store: lossless round trips, nothing written for new sessions, the
    partial-session guard, deletes that stay deleted, and ids validated before any write."""

    # ── fixtures a backend provides ──────────────────────────────────────────────────────

    @pytest.fixture
    def locations(self) -> Locations:
        abstract_fixture(
            _CONTRACT, "locations",
            "return the Locations whose sessions_url is your backend (for example "
            "`Locations.from_environment(base_home=tmp_path / 'h', state_dir=tmp_path / 'w', "
            "session_url='memory://bucket/sessions', environ={})`).",
        )

    @pytest.fixture
    def seed_record(self) -> SeedRecord:
        abstract_fixture(
            _CONTRACT, "seed_record",
            "return a function that writes one session record (a dict in S1.4 order) in your "
            "store's real format without calling the plugin, so loading is tested apart from "
            "saving.",
        )

    # ── fixtures built on them ───────────────────────────────────────────────────────────

    @pytest.fixture
    def seed(self, seed_record: SeedRecord) -> list[str]:
        """Three sessions written without the plugin: plain, with unknown fields, archived."""
        records = [
            original_record("seedplain001", chat(4), title="Plain seeded chat"),
            original_record("seedextra002", chat(6, start=1700001000.0), title="Extra fields",
                            user_id="u9", chat_id="c1", last_usage={"prompt": 12}),
            original_record("seed-arch-003", chat(2, start=1700002000.0), title="Archived one",
                            archived=True),
        ]
        for record in records:
            seed_record(record)
        return [record["session_id"] for record in records]

    @staticmethod
    def _saved(store: Any, count: int = 4, **fields: Any) -> Session:
        session: Session = store.new_session()
        session.messages.extend(chat(count))
        for name, value in fields.items():
            setattr(session, name, value)
        session.save()
        return session

    # ── S1: nothing is lost ──────────────────────────────────────────────────────────────

    def test_every_field_survives_save_then_load(self, harness: SourceHarness) -> None:
        """S1.7, S1.9: every persisted field, named or not, comes back from a fresh store."""
        session = self._saved(harness.store(), **_EVERY_FIELD)
        loaded = harness.store().get(session.session_id)
        assert loaded.to_record() == session.to_record()
        for name, value in _EVERY_FIELD.items():
            assert getattr(loaded, name) == value, f"{name} was not kept"

    def test_seeded_record_loads_and_keeps_unknown_fields(
        self, harness: SourceHarness, seed: list[str]
    ) -> None:
        """S1.7, S8.6: a record written without the plugin loads, and fields the model does not
        name survive the next save."""
        store = harness.store()
        session = store.get("seedextra002")
        assert session.title == "Extra fields" and len(session.messages) == 6
        assert (session.user_id, session.chat_id) == ("u9", "c1")  # type: ignore[attr-defined]
        session.messages.append({"role": "user", "content": "more", "timestamp": 1700009999.0})
        session.save()
        again = harness.store().get("seedextra002")
        assert again.last_usage == {"prompt": 12}  # type: ignore[attr-defined]
        assert again.user_id == "u9" and len(again.messages) == 7  # type: ignore[attr-defined]

    # ── S2: saving, the index, deleting ──────────────────────────────────────────────────

    def test_new_sessions_write_nothing(self, harness: SourceHarness) -> None:
        """S2.28: five creates write nothing, yet the creating store finds each of them."""
        store = harness.store()
        created = [store.new_session() for _ in range(5)]
        fresh = harness.store()
        for session in created:
            assert store.get(session.session_id) is session
            with pytest.raises(SessionNotFound):
                fresh.get(session.session_id)
        assert harness.listed_rows() == {}, "an unsaved session reached storage"

    def test_save_load_delete(self, harness: SourceHarness) -> None:
        """S2.6, S2.26: a save is visible to a fresh store; delete removes it and says whether
        anything existed."""
        session = self._saved(harness.store(), title="Keep me")
        fresh = harness.store()
        assert fresh.get(session.session_id).title == "Keep me"
        assert fresh.delete(session.session_id) is True
        with pytest.raises(SessionNotFound):
            harness.store().get(session.session_id)
        assert harness.store().delete(session.session_id) is False
        assert session.session_id not in harness.listed_rows()

    def test_saved_sessions_are_listed_at_once(self, harness: SourceHarness) -> None:
        """S2.6, S2.8, S2.35: after a save, a fresh store's listing shows the new row; after the
        next save, the updated one."""
        store = harness.store()
        session = self._saved(store, title="First title")
        row = harness.store().list_sessions(all_profiles=True).rows
        assert [(r.session_id, r["title"], r["message_count"]) for r in row] == [
            (session.session_id, "First title", 4)
        ]
        session.title = "Second title"
        session.messages.extend(chat(2, start=1700005000.0))
        session.save()
        rows = {r.session_id: r for r in harness.store().list_sessions(all_profiles=True).rows}
        assert rows[session.session_id]["title"] == "Second title"
        assert rows[session.session_id]["message_count"] == 6

    def test_deleted_sessions_stay_deleted_until_saved_again(self, harness: SourceHarness) -> None:
        """S2.26: a deleted id never comes back by itself, nor from a copy loaded before the
        delete (that save raises SessionConflict); saving it deliberately brings it back."""
        store = harness.store()
        session = self._saved(store, title="Gone then back")
        store.delete(session.session_id)
        assert session.session_id not in harness.listed_rows()
        assert session.session_id not in {
            r.session_id for r in harness.store().list_sessions().rows
        }
        with pytest.raises(SessionConflict):
            harness.store().save(session)
        assert session.session_id not in harness.listed_rows(), "a stale copy resurrected it"
        session.forget_stored()  # "this is the whole session": written as a new one
        harness.store().save(session)
        assert session.session_id in harness.listed_rows()

    def test_a_stale_copy_is_merged_never_written_over_a_newer_save(
        self, harness: SourceHarness
    ) -> None:
        """Issue 12: two copies loaded from one version both append and save: the stored
        session holds both appends once, in timestamp order, and so does the later copy; a
        clear on one copy against the other's append is refused with SessionConflict."""
        saved = self._saved(harness.store(), count=2, title="Two writers")
        mine = harness.store().get(saved.session_id)
        theirs = harness.store().get(saved.session_id)
        theirs.messages.append({"role": "user", "content": "theirs", "timestamp": 1800000001.0})
        theirs.save()
        mine.messages.append({"role": "user", "content": "mine", "timestamp": 1800000002.0})
        mine.save()
        stored = harness.store().get(saved.session_id)
        contents = [m.get("content") for m in stored.messages]
        assert contents[-2:] == ["theirs", "mine"] and len(contents) == 4, contents
        assert [m.get("content") for m in mine.messages] == contents
        stored.declare_shrink()
        stored.messages.clear()
        mine.messages.append({"role": "user", "content": "later", "timestamp": 1800000003.0})
        mine.save()
        with pytest.raises(SessionConflict):
            stored.save()
        assert len(harness.store().get(saved.session_id).messages) == 5

    def test_partial_sessions_are_never_saved(self, harness: SourceHarness) -> None:
        """S2.11, S2.13, S2.15 (#1558): once a session is saved and indexed, a metadata-only
        read is partial with the recorded counts, and saving it raises before anything is
        written."""
        saved = self._saved(harness.store(), count=50, title="Fifty messages")
        store = harness.store()
        light = store.get(saved.session_id, metadata_only=True)
        assert light.is_partial and light.messages == [], "a metadata-only read must be partial"
        assert light.message_count == 50 and light.compact()["user_message_count"] == 25
        light.title = "renamed on a partial object"
        with pytest.raises(PartialSessionSaveError) as raised:
            light.save()
        assert saved.session_id in str(raised.value)
        with pytest.raises(PartialSessionSaveError):
            store.save(light)
        full = harness.store().get(saved.session_id)
        assert full.title == "Fifty messages" and len(full.messages) == 50

    @pytest.mark.parametrize("bad_id", ["../escape", "_index", "UPPER", "a/b", "x y"], ids=repr)
    def test_writes_with_invalid_ids_raise_and_write_nothing(
        self, harness: SourceHarness, bad_id: str
    ) -> None:
        """S1.3: a write with an invalid id raises an error naming the id; nothing is written."""
        store = harness.store()
        session = Session(session_id=bad_id, messages=chat(2), _default_workspace="/tmp")
        with pytest.raises(InvalidSessionId) as raised:
            store.save(session)
        assert repr(bad_id) in str(raised.value)
        with pytest.raises(InvalidSessionId):
            store.delete(bad_id)
        assert harness.listed_rows() == {}
