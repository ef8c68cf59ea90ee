"""The hostile-input section of the kit: special files, deep nesting, oversized fields and wrong
types, each written by the source in its own format (issue 13, docs/hostile-input.md).

Add :class:`HostileInputContract` to the ``Test…`` class that runs your readable or writable
contract and provide one more fixture, ``hostile_seed``: a function ``hostile_seed(kind,
payload)`` that writes one session holding ``payload`` where your format keeps what ``kind``
names, beside what ``seed`` wrote and without calling the plugin, and returns that session's
id (or ``None`` when it cannot be named: the kit then opens every id that appeared). Each check
runs the call in a worker thread and fails, instead of hanging, when it overruns
:attr:`HostileInputContract.hostile_seconds`.

The kinds, and the payload each one gets:

``fifo``, ``socket``
    ``None``: put a named pipe or a socket file where a session would be read (a session file,
    a profile's database); :func:`make_special_file` makes one. A listing or a load must never
    block on it. A store without local files skips with ``pytest.skip(reason)``.
``deep_nesting``
    ``bytes``: one JSON value nested :data:`DEEP_LEVELS` deep, which no encoder writes; put it
    where your format keeps a JSON value (a message's content), with :func:`splice_raw_json`.
``oversized_title``, ``oversized_content``
    ``str`` of :data:`OVERSIZED_CHARS` characters: the session's title (or what your title is
    made from), one message's content.
``wrong_types``
    :data:`WRONG_TYPES`: for each kind of field, a value of another type (a number where text
    goes, text where a number, time or boolean goes, an object where a list goes...); write
    one session whose fields hold them.

Every such session must stay isolated (the sessions ``seed`` wrote still list, directly and
through a store), bounded (each call returns within the bound), capped for display (a listed
row's JSON stays under :data:`MAX_ROW_BYTES`) and typed (listed rows pass the same checks as
good ones), and opening it is a Session, "not found" or ``SessionUnreadable``, never a crash.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

import pytest

from ..errors import SessionNotFound, SessionUnreadable
from ..models import Session, SourceListing, Transcript
from .assertions import assert_valid_row
from .errors import abstract_fixture
from .harness import SourceHarness
from .readable import ReadableSourceContract

__all__ = [
    "HostileInputContract",
    "HostileSeed",
    "HOSTILE_KINDS",
    "DEEP_LEVELS",
    "OVERSIZED_CHARS",
    "MAX_ROW_BYTES",
    "WRONG_TYPES",
    "RAW_VALUE_MARKER",
    "deeply_nested_json",
    "oversized_text",
    "splice_raw_json",
    "make_special_file",
]

T = TypeVar("T")
#: ``hostile_seed(kind, payload) -> session id or None``.
HostileSeed = Callable[[str, Any], "str | None"]

HOSTILE_KINDS: tuple[str, ...] = (
    "fifo", "socket", "deep_nesting", "oversized_title", "oversized_content", "wrong_types",
)
#: Levels of the nested value: far past Python's recursion limit (1,000) and orjson's (1,024).
DEEP_LEVELS = 5000
#: Characters of an oversized title or message: 10 MB, as in the issue.
OVERSIZED_CHARS = 10 * 1024 * 1024
#: A listed row is for a sidebar: its JSON stays under 1 MiB, whatever the data held.
MAX_ROW_BYTES = 1024 * 1024
#: A value of the wrong type for each kind of field.
WRONG_TYPES: Mapping[str, Any] = {
    "text": 12345,                       # a number where text goes (title, role, content)
    "number": "12 apples",               # text where a count or token number goes
    "time": "yesterday",                 # text where a time goes
    "boolean": "no",                     # text where true/false goes
    "list": {"not": "a list"},           # an object where a list goes (messages)
    "object": ["not", "an", "object"],   # a list where an object goes (a message, a config)
    "missing": None,                     # null where a value is expected
}
#: The string :func:`splice_raw_json` replaces with raw JSON.
RAW_VALUE_MARKER = "@@hermes-sessions-raw-json-value@@"
_CONTRACT = "HostileInputContract"


def deeply_nested_json(levels: int = DEEP_LEVELS) -> bytes:
    """A JSON array nested ``levels`` deep around one string: valid JSON no encoder writes."""
    return b"[" * levels + b'"deep"' + b"]" * levels


def oversized_text(chars: int = OVERSIZED_CHARS) -> str:
    """``chars`` characters of words, so whitespace rules and cuts have something to do."""
    phrase = "an oversized field from the conformance kit "
    return (phrase * (chars // len(phrase) + 1))[:chars]


def splice_raw_json(encoded: bytes, raw: bytes, marker: str = RAW_VALUE_MARKER) -> bytes:
    """``encoded`` JSON with the string value ``marker`` (exactly once) replaced by ``raw``.

    Build your record with ``marker`` where the payload goes, encode it as your format does,
    then splice: ``splice_raw_json(json.dumps(record).encode(), payload)``.
    """
    quoted = json.dumps(marker).encode("utf-8")
    assert encoded.count(quoted) == 1, f"the marker {marker!r} must appear exactly once"
    return encoded.replace(quoted, raw)


def make_special_file(path: Path, kind: str) -> None:
    """A named pipe (``fifo``) or a socket file (``socket``) at ``path``, parents created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path, 0o600)
        return
    if kind != "socket":
        raise ValueError(f"no special file of kind {kind!r}: use 'fifo' or 'socket'")
    try:
        os.mknod(path, stat.S_IFSOCK | 0o600)  # no privilege needed for sockets on Linux
    except (AttributeError, PermissionError, OSError):
        # bind() makes one too; a relative name dodges the 108-byte limit of socket paths
        here = os.getcwd()
        os.chdir(path.parent)
        try:
            with socket.socket(socket.AF_UNIX) as listener:
                listener.bind(path.name)
        finally:
            os.chdir(here)


def _within(seconds: float, what: str, call: Callable[[], T]) -> T:
    """``call()`` in a daemon worker; a call still running after ``seconds`` fails the test."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name=f"hermes-sessions-kit: {what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(
            f"{what} did not return within {seconds:g} s: it hangs or is unbounded on hostile "
            "data. Never open special files blocking (open with O_NONBLOCK and read only what "
            "fstat says is a regular file), and bound reads of oversized or deeply nested data "
            "(docs/hostile-input.md)",
            pytrace=False,
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def _expect_only(
    what: str, allowed: tuple[type[BaseException], ...], call: Callable[[], T]
) -> T | None:
    """``call()``; an allowed error gives ``None``, any other fails naming the culprit."""
    try:
        return call()
    except allowed:
        return None
    except Exception as error:
        raise AssertionError(
            f"{what} raised {type(error).__name__}: {error}; hostile data must give a Session, "
            "None ('not found') or SessionUnreadable, and damage in a listing a Problem"
        ) from error


class HostileInputContract:
    """Special files never hang, deep nesting and oversized fields stay isolated, bounded and
    capped, wrong types never break a listing; all in the source's own format."""

    #: Seconds any one call may take on hostile data (a listing, a load, a store's listing).
    hostile_seconds: float = 15.0

    # The fixtures it shares with ReadableSourceContract (the same functions), so a class may
    # run this contract alone; combined with a readable or writable contract, theirs apply.
    plugin = ReadableSourceContract.plugin
    data_dir = ReadableSourceContract.data_dir
    locations = ReadableSourceContract.locations
    settings = ReadableSourceContract.settings
    harness = ReadableSourceContract.harness

    @pytest.fixture
    def hostile_seed(self) -> HostileSeed:
        abstract_fixture(
            _CONTRACT, "hostile_seed",
            "return a function hostile_seed(kind, payload) that writes ONE session holding "
            "`payload` in your source's own format, beside what `seed` wrote and without "
            "calling your plugin, and returns its id (or None). `kind` is one of "
            f"{', '.join(HOSTILE_KINDS)}: see hermes_sessions_core.testing.hostile for what "
            "each payload is and where it goes. Skip with pytest.skip('why') for a kind your "
            "storage cannot hold (special files on a remote store).",
        )

    @pytest.fixture
    def special_files_released(self, tmp_path: Path) -> Iterator[None]:
        """After a test, wake any worker still blocked opening a FIFO under ``tmp_path``."""
        yield
        for path in _special_files(tmp_path):
            with suppress(OSError):
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # readers see EOF
            with suppress(OSError):
                path.unlink()

    # ── the checks ───────────────────────────────────────────────────────────────────────

    @pytest.mark.parametrize("kind", ["fifo", "socket"])
    def test_special_files_never_hang_a_listing_or_a_load(
        self, harness: SourceHarness, seed: Iterable[str], hostile_seed: HostileSeed,
        special_files_released: None, kind: str,
    ) -> None:
        """A named pipe or a socket where a session would be read: listings and loads return
        within the bound, the other sessions still list, nothing raises."""
        self._check(harness, seed, hostile_seed, kind, None, f"a {kind} where a session would be")

    def test_deep_nesting_is_isolated_and_bounded(
        self, harness: SourceHarness, seed: Iterable[str], hostile_seed: HostileSeed
    ) -> None:
        """A value nested 5,000 levels deep in one session costs that session at most: no
        RecursionError escapes, the other sessions still list, calls stay within the bound."""
        self._check(harness, seed, hostile_seed, "deep_nesting", deeply_nested_json(),
                    f"a JSON value nested {DEEP_LEVELS} levels deep")

    def test_oversized_title_is_isolated_bounded_and_capped(
        self, harness: SourceHarness, seed: Iterable[str], hostile_seed: HostileSeed
    ) -> None:
        """A 10 MB title: the listing stays within the bound, and the row that shows it is
        capped for display (under MAX_ROW_BYTES of JSON)."""
        self._check(harness, seed, hostile_seed, "oversized_title", oversized_text(),
                    "a 10 MB title")

    def test_oversized_content_is_isolated_and_bounded(
        self, harness: SourceHarness, seed: Iterable[str], hostile_seed: HostileSeed
    ) -> None:
        """A 10 MB message: listing and opening stay within the bound, rows stay capped."""
        self._check(harness, seed, hostile_seed, "oversized_content", oversized_text(),
                    "a 10 MB message")

    def test_wrong_types_never_break_the_listing(
        self, harness: SourceHarness, seed: Iterable[str], hostile_seed: HostileSeed
    ) -> None:
        """Fields of the wrong type never make a listing raise; a row listed for such a
        session is normalised (text title, integer count, float times) like any other."""
        self._check(harness, seed, hostile_seed, "wrong_types", dict(WRONG_TYPES),
                    "fields of the wrong types")

    # ── how each check runs ──────────────────────────────────────────────────────────────

    def _check(
        self, harness: SourceHarness, seed: Iterable[str], hostile_seed: HostileSeed,
        kind: str, payload: Any, what: str,
    ) -> None:
        name = harness.info.name
        seeded = set(seed or ())
        good = set(harness.listed_rows())
        assert good, (
            f"{name}: the listing after `seed` is empty, so isolation cannot be checked; "
            "seed at least one session your source lists"
        )
        assert seeded <= good, f"{name}: seeded ids not listed: {sorted(seeded - good)}"
        store = self._store(harness)
        in_sidebar = self._sidebar_ids(store, f"{name}: a store's listing before {what}")
        hostile_id = hostile_seed(kind, payload)

        label = f"{name}: list_rows with {what}"
        listing = _expect_only(label, (), lambda: _within(
            self.hostile_seconds, label, harness.call_list_rows))
        assert listing is None or isinstance(listing, SourceListing), (
            f"{name}: list_rows with {what} returned {type(listing).__name__}"
        )
        rows = {row.session_id: row for row in (listing.rows if listing is not None else ())}
        lost = good - set(rows) - {hostile_id}
        assert not lost, (
            f"{name}: with {what} in one session, other sessions vanished from the listing: "
            f"{sorted(lost)[:10]}; the damage must stay with that one session"
        )
        for row in rows.values():
            assert_valid_row(row, name, harness.info.id_prefixes)
            size = len(json.dumps(row.to_dict(), default=str))
            assert size <= MAX_ROW_BYTES, (
                f"{name}: row {row.session_id!r} is {size:,} bytes of JSON with {what}; cap "
                f"what a row shows (titles, previews) so a row stays under {MAX_ROW_BYTES:,}"
            )

        opened = {hostile_id} if hostile_id else set(rows) - good
        for session_id in sorted(opened):
            self._open(harness, store, session_id, what)

        fresh = self._store(harness)
        after = self._sidebar_ids(fresh, f"{name}: a store's listing with {what}")
        lost = in_sidebar - after - {hostile_id}
        assert not lost, (
            f"{name}: with {what} in one session, the store's sidebar lost other sessions: "
            f"{sorted(lost)[:10]}; problems: {[p.describe() for p in fresh.problems]}"
        )

    def _open(self, harness: SourceHarness, store: Any, session_id: str, what: str) -> None:
        name = harness.info.name
        allowed = (SessionNotFound, SessionUnreadable)
        for metadata_only in (True, False):
            label = (
                f"{name}: load_session({session_id!r}, metadata_only={metadata_only}) with {what}"
            )
            session = _expect_only(label, allowed, lambda: _within(
                self.hostile_seconds, label,
                lambda: harness.call_load(session_id, metadata_only=metadata_only)))
            assert session is None or isinstance(session, Session), (
                f"{label} returned {type(session).__name__}"
            )
        label = f"{name}: read_messages({session_id!r}) with {what}"
        transcript = _expect_only(label, (), lambda: _within(
            self.hostile_seconds, label, lambda: harness.call_read_messages(session_id)))
        assert transcript is None or isinstance(transcript, Transcript), (
            f"{label} returned {type(transcript).__name__}"
        )
        label = f"{name}: store.get({session_id!r}) with {what}"
        _expect_only(label, allowed, lambda: _within(
            self.hostile_seconds, label, lambda: store.get(session_id)))

    def _store(self, harness: SourceHarness) -> Any:
        """A store that abandons a third-party call after the bound (built-ins run inline,
        so the kit's own worker bounds them)."""
        settings = {**harness.settings, "core": {
            **harness.settings.get("core", {}), "call_timeout": self.hostile_seconds}}
        return harness.store(settings=settings)

    def _sidebar_ids(self, store: Any, what: str) -> set[str]:
        sidebar = _expect_only(what, (), lambda: _within(
            self.hostile_seconds * 2, what, lambda: store.list_sessions(
                all_profiles=True, include_archived=True, include_cron=True)))
        return {row.session_id for row in sidebar.rows} if sidebar is not None else set()


def _special_files(root: Path) -> list[Path]:
    found = []
    for folder, _folders, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            with suppress(OSError):
                if stat.S_ISFIFO(os.lstat(path).st_mode):
                    found.append(path)
    return found
