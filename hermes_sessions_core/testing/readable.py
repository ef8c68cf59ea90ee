"""Contracts of every source that lists and opens sessions (S0, S1.2-S1.3, S1.15, S2.15, S6.14).

Subclass :class:`ReadableSourceContract` in a ``Test…`` class and provide ``plugin``, ``seed``
and ``seed_damaged`` (and ``settings`` if your source needs to be told where its data is).
"""

from __future__ import annotations

import copy
from typing import Any, Iterable

import pytest

from ..errors import (
    InvalidSessionId,
    PartialSessionSaveError,
    ReadOnlySessionError,
    SessionNotFound,
    SessionUnreadable,
)
from ..models import Problem, Session, SessionRow, SourceListing, Transcript
from .assertions import assert_valid_row
from .errors import abstract_fixture
from .fixtures import SourceFixtures
from .harness import SourceHarness

__all__ = ["ReadableSourceContract", "MALFORMED_IDS"]

#: Ids that break S1.2; a read with any of them is "not found" and touches no storage (S1.3).
MALFORMED_IDS: tuple[str, ...] = (
    "", "_index", "_tombstones", "../escape", "a/b", "a\\b", "UPPER", "with space",
    "nul\x00byte", "..", "dot.dot", "ümlaut",
)
_CONTRACT = "ReadableSourceContract"


def _mutate_nested(value: Any) -> bool:
    """Change a list or dict in place (as a careless caller would); True if anything changed."""
    if isinstance(value, list):
        value.append("mutated by the conformance kit")
        return True
    if isinstance(value, dict):
        value["mutated_by_the_conformance_kit"] = True
        return True
    return False


def _is_notice(message: dict[str, Any]) -> bool:
    """A leading "earlier messages were left out" divider a windowed transcript may add (S4.17)."""
    return message.get("role") == "system" and message.get("kind") == "notice"


class ReadableSourceContract(SourceFixtures):
    """Every source: listing never raises, rows are typed and fresh, ids are validated, every
    listed session opens, metadata-only loads cannot be saved, damaged data becomes problems."""

    #: Set False if your source skips damaged data silently instead of reporting a Problem.
    reports_damaged_data: bool = True

    # ── fixtures a backend provides ──────────────────────────────────────────────────────

    @pytest.fixture
    def plugin(self) -> object:
        abstract_fixture(
            _CONTRACT, "plugin",
            "return the object that holds your @hookimpl functions, usually the module "
            "your entry point names (for example `return my_package.hooks`).",
        )

    @pytest.fixture
    def seed(self) -> Iterable[str]:
        abstract_fixture(
            _CONTRACT, "seed",
            "write sample sessions where your source reads them, in the real on-disk format "
            "and without calling your plugin (copy real files, or build a database with "
            "sqlite3), then return the ids the listing must show (may be empty). Use the "
            "`locations` or `settings` fixtures to find the place.",
        )

    @pytest.fixture
    def seed_damaged(self) -> Iterable[str]:
        abstract_fixture(
            _CONTRACT, "seed_damaged",
            "write damaged data where your source reads it (a truncated file, invalid JSON, "
            "a corrupt database) and return the ids of damaged sessions you know of (may be "
            "empty). If your format cannot be damaged, override it with "
            "`pytest.skip('why')`.",
        )

    @pytest.fixture
    def seeded(self, harness: SourceHarness, seed: Iterable[str]) -> dict[str, SessionRow]:
        """The direct listing after ``seed``: ``{id: row}``, checked to be non-empty."""
        expected = set(seed or ())
        rows = harness.listed_rows()
        assert rows, (
            f"{harness.info.name}: the listing after `seed` is empty, so the contracts "
            "below would test nothing; seed at least one session your source lists"
        )
        missing = expected - set(rows)
        assert not missing, f"{harness.info.name}: seeded ids not listed: {sorted(missing)}"
        return rows

    # ── the source's description ─────────────────────────────────────────────────────────

    def test_source_info_describes_one_source(self, harness: SourceHarness) -> None:
        """The source_info hook returns one SourceInfo with a name, a label and valid prefixes."""
        info = harness.info
        assert info.name and info.name == info.name.strip(), "SourceInfo.name must be set"
        assert info.label, f"{info.name}: SourceInfo.label is shown in the sidebar; set it"
        assert isinstance(info.id_prefixes, tuple), "id_prefixes must be a tuple of strings"
        for prefix in info.id_prefixes:
            assert prefix and prefix == prefix.lower() and not prefix.startswith("_"), (
                f"{info.name}: id prefix {prefix!r} must be lower-case and not start with '_'"
            )

    # ── listing ──────────────────────────────────────────────────────────────────────────

    def test_listing_without_data_never_raises(self, harness: SourceHarness) -> None:
        """S0.3: with no data at all the listing is None or empty, never an exception."""
        listing = harness.call_list_rows()
        assert listing is None or isinstance(listing, SourceListing), (
            f"list_rows must return a SourceListing or None, got {type(listing).__name__}"
        )
        if listing is not None:
            assert listing.rows == (), f"{harness.info.name}: rows from nowhere: {listing.rows}"

    def test_rows_are_typed_with_valid_ids_and_required_keys(
        self, harness: SourceHarness, seed: Iterable[str]
    ) -> None:
        """S0.2, S1.2, S1.12: SessionRow records, valid unique ids in the owned prefixes,
        the required keys, the listing named after the source."""
        expected = set(seed or ())
        listing = harness.call_list_rows()
        assert isinstance(listing, SourceListing), (
            f"after `seed`, list_rows must return a SourceListing, got {type(listing).__name__}"
        )
        assert listing.source == harness.info.name, (
            f"SourceListing.source is {listing.source!r}; use the SourceInfo name "
            f"{harness.info.name!r}"
        )
        ids = [row.get("session_id") for row in listing.rows]
        assert len(ids) == len(set(ids)), f"{harness.info.name}: an id is listed twice: {ids}"
        for row in listing.rows:
            assert_valid_row(row, harness.info.name, harness.info.id_prefixes)
        assert expected <= set(ids), f"seeded ids not listed: {sorted(expected - set(ids))}"
        for problem in listing.problems:
            assert isinstance(problem, Problem), f"problems must be Problem records: {problem!r}"

    def test_row_times_are_epoch_floats(self, seeded: dict[str, SessionRow]) -> None:
        """S0.1: created_at, updated_at and last_message_at are floats, whatever the format."""
        for row in seeded.values():
            for key in ("created_at", "updated_at", "last_message_at"):
                value = row.get(key)
                if value is not None:
                    assert type(value) is float, f"{row.session_id} {key} = {value!r} (S0.1)"

    def test_rows_are_immutable_and_fresh_per_call(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """S0.2: rows cannot be changed, and changing a nested value a listing returned never
        changes what the next listing returns (sources that cache hand out copies, or rows
        made with ``SessionRow.kept``, whose nested values are read-only)."""
        first = harness.listed_rows()
        before = {sid: copy.deepcopy(row.to_dict()) for sid, row in harness.listed_rows().items()}
        for row in first.values():
            with pytest.raises(TypeError):
                row.fields["title"] = "changed"  # type: ignore[index,unused-ignore]
            for value in row.fields.values():
                _mutate_nested(value)
        after = {sid: row.to_dict() for sid, row in harness.listed_rows().items()}
        assert after == before, (
            f"{harness.info.name}: a caller's change to one listing leaked into the next; "
            "build fresh dicts (and nested lists/dicts) for every call, or keep rows made "
            "with SessionRow.kept"
        )

    def test_store_listing_reports_no_problems_for_good_data(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """S6.14: through the core, good data lists without any problem record (no rows
        dropped as malformed, no hook failure)."""
        store = harness.store()
        listing = store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
        assert [p.describe() for p in listing.problems] == []
        assert [p.describe() for p in store.problems] == []

    # ── opening what was listed ──────────────────────────────────────────────────────────

    def test_every_listed_id_loads_or_reads_messages(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """S6.12: each listed session opens through the store: a Session with that id, or a
        Transcript from read_messages."""
        store = harness.store()
        for session_id in seeded:
            try:
                session = store.get(session_id)
            except SessionNotFound:
                session = None
            transcript = store.read_messages(session_id)
            assert session is not None or transcript is not None, (
                f"{harness.info.name}: listed {session_id!r} but neither load_session nor "
                "read_messages opens it"
            )
            if session is not None:
                assert isinstance(session, Session) and session.session_id == session_id
                assert not session.is_partial, f"a full load of {session_id!r} is flagged partial"
        assert [p.describe() for p in store.problems] == []

    def test_metadata_only_loads_are_partial_and_cannot_be_saved(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """S2.15, S1.15, S8.17: a metadata-only load without the transcript is partial,
        reports the recorded counts (never 0), and refuses to be saved."""
        for session_id in seeded:
            light = harness.call_load(session_id, metadata_only=True)
            full = harness.call_load(session_id, metadata_only=False)
            if light is None and full is None:
                continue  # opened through read_messages only (checked above)
            assert isinstance(light, Session) and isinstance(full, Session), (
                f"{session_id!r}: metadata-only and full loads must agree on whether it exists"
            )
            if full.messages and not light.messages:
                assert light.is_partial, (
                    f"{session_id!r}: a metadata-only load without messages must call "
                    "session.mark_partial(...) so it can never be saved over the full one"
                )
            if not light.is_partial:
                continue
            # Recorded counts, never a 0 guess (S1.15, S8.17). Not always equal: a source that
            # stitches a chain into one transcript (S3.18) records the tip's count (S3.9).
            assert 0 < light.message_count <= full.message_count or not full.messages, (
                f"{session_id!r}: metadata-only message_count is {light.message_count}, the full "
                f"load has {full.message_count}; pass the recorded count to mark_partial(...)"
            )
            recorded = light.compact()["user_message_count"]
            users = full.compact()["user_message_count"]
            assert recorded is None or (0 < recorded <= users) or recorded == users == 0, (
                f"{session_id!r}: metadata-only user_message_count is {recorded!r}; report the "
                "recorded value or None when unknown, never a guess such as 0 (S1.15, S8.17)"
            )
            store = harness.store()
            with pytest.raises((PartialSessionSaveError, ReadOnlySessionError)):
                store.save(light)
            with pytest.raises(PartialSessionSaveError):
                light.bind(store).save()
            again = harness.call_load(session_id)
            assert again is not None and len(again.messages) == len(full.messages), (
                f"{session_id!r}: a refused save changed the stored transcript"
            )

    def test_loads_and_transcripts_are_fresh_objects(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """S0.2: two loads give two objects; changing one's messages never changes the other."""
        for session_id in seeded:
            first = harness.call_load(session_id)
            if first is not None:
                second = harness.call_load(session_id)
                assert second is not None and second is not first
                count = len(second.messages)
                first.messages.append({"role": "user", "content": "kit"})
                for message in first.messages[:-1]:
                    if isinstance(message, dict):
                        message["content"] = "changed by the kit"
                third = harness.call_load(session_id)
                assert third is not None and len(third.messages) == count
                assert all(
                    not isinstance(m, dict) or m.get("content") != "changed by the kit"
                    for m in third.messages
                ), f"{session_id!r}: loads share message dicts with an earlier caller"
            transcript = harness.call_read_messages(session_id)
            if transcript is not None:
                for message in transcript.messages:
                    message["content"] = "changed by the kit"
                again = harness.call_read_messages(session_id)
                assert again is not None
                assert all(m.get("content") != "changed by the kit" for m in again.messages), (
                    f"{session_id!r}: transcripts share message dicts between calls"
                )

    def test_transcripts_are_typed_and_honour_the_limit(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """read_messages returns a Transcript for its own ids, messages with a role, the most
        recent ``limit`` of them, and a total_count of every message."""
        if not harness.implements("hermes_sessions_read_messages"):
            pytest.skip(f"{harness.info.name} does not implement hermes_sessions_read_messages")
        opened = 0
        for session_id in seeded:
            transcript = harness.call_read_messages(session_id)
            if transcript is None:
                continue
            opened += 1
            assert isinstance(transcript, Transcript), f"got {type(transcript).__name__}"
            assert transcript.session_id == session_id
            assert transcript.source == harness.info.name
            assert isinstance(transcript.messages, tuple)
            assert transcript.total_count >= len(transcript.messages)
            for message in transcript.messages:
                assert isinstance(message, dict) and "role" in message, message
            if transcript.messages:
                last = harness.call_read_messages(session_id, limit=1)
                assert last is not None and last.messages
                body = [m for m in last.messages if not _is_notice(m)]
                assert len(body) == 1, f"limit=1 returned {len(body)} messages besides a notice"
                assert last.messages[-1] == transcript.messages[-1], "limit keeps the most recent"
        assert opened, f"{harness.info.name} implements read_messages but opened no listed id"

    # ── ids that are not there ───────────────────────────────────────────────────────────

    def test_unknown_ids_are_not_found(
        self, harness: SourceHarness, seeded: dict[str, SessionRow]
    ) -> None:
        """S2.34: an id nobody holds is "not found": None from the hooks, SessionNotFound
        from the store."""
        unknown = harness.unknown_id()
        assert harness.call_load(unknown) is None
        assert harness.call_load(unknown, metadata_only=True) is None
        assert harness.call_read_messages(unknown) is None
        store = harness.store()
        with pytest.raises(SessionNotFound):
            store.get(unknown)
        assert store.read_messages(unknown) is None

    @pytest.mark.parametrize("bad_id", MALFORMED_IDS, ids=repr)
    def test_malformed_ids_are_not_found(self, harness: SourceHarness, bad_id: str) -> None:
        """S1.3: a read with an invalid id is "not found" and never becomes a path or query;
        hooks answer None (or raise SessionNotFound), the store raises SessionNotFound."""
        for name in (bad_id, *(prefix + bad_id for prefix in harness.info.id_prefixes)):
            for metadata_only in (False, True):
                try:
                    result = harness.call_load(name, metadata_only=metadata_only)
                except (SessionNotFound, InvalidSessionId):
                    result = None
                assert result is None, f"load_session({name!r}) must be None, got {result!r}"
            try:
                transcript = harness.call_read_messages(name)
            except (SessionNotFound, InvalidSessionId):
                transcript = None
            assert transcript is None, f"read_messages({name!r}) must be None"
            store = harness.store()
            with pytest.raises(SessionNotFound):
                store.get(name)
            assert store.read_messages(name) is None

    # ── damaged data ─────────────────────────────────────────────────────────────────────

    def test_damaged_data_gives_problems_not_exceptions(
        self, harness: SourceHarness, seed_damaged: Iterable[str]
    ) -> None:
        """S0.3, S6.14: damaged data never makes the listing raise; it becomes Problem records,
        and opening a damaged session is "not found" or SessionUnreadable, never a crash."""
        damaged = list(seed_damaged or ())
        listing = harness.call_list_rows()
        assert listing is None or isinstance(listing, SourceListing)
        problems = list(listing.problems) if listing is not None else []
        for problem in problems:
            assert isinstance(problem, Problem), f"problems must be Problem records: {problem!r}"
        if self.reports_damaged_data:
            assert problems, (
                f"{harness.info.name}: damaged data was skipped without a Problem record; "
                "report what you skipped (or set reports_damaged_data = False)"
            )
        for row in listing.rows if listing is not None else ():
            assert_valid_row(row, harness.info.name, harness.info.id_prefixes)
        store = harness.store()
        sidebar = store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
        assert isinstance(sidebar.rows, tuple)
        for session_id in damaged:
            try:
                harness.call_load(session_id)
            except SessionUnreadable:
                pass
            transcript = harness.call_read_messages(session_id)
            assert transcript is None or isinstance(transcript, Transcript)
            try:
                store.get(session_id)
            except (SessionNotFound, SessionUnreadable):
                pass
