"""The sidebar index: ``_index.json`` plus one small change file per recently saved session.

The original rewrote the whole index on every save, which costs O(N) at N sessions. Here a
save writes ``_index.d/<id>.json`` (its new row, or a deletion marker) and readers apply those
on top of ``_index.json``. Once the change files outnumber an eighth of the rows (and when the
store closes) they are folded into ``_index.json``, so the upkeep stays O(1) per save on
average and the file today's Web UI reads is brought up to date (S2.7, S2.8).

Readers take no lock. A reader that finds a change file gone (folded meanwhile) starts over,
so it never sees a row older than the last completed save. Decoding a large ``_index.json``
costs about 10 µs per row, so the decoded rows (and change files) are kept with the version
they were read at and reused while :meth:`Folder.version` still gives that version and the
folder says the version is settled (an ETag; a local file unmodified for two seconds, or one
this process wrote): any later write changes the version, so nothing older than the last
completed save is ever served.

Writers in one process share a lock, and on a local disk a lock file. Hosts sharing an object
store share nothing, so folds and rebuilds there write ``_index.json`` only if it is unchanged
since they read it (retrying otherwise) and delete a change file only if it is still the
version they folded: a row saved meanwhile is never lost.

``_index.json`` is a derived cache, so anything odd in it costs a rebuild from the session
files, never a listing: an index is corrupt when it does not start with ``[``, does not decode
to a list, or is larger than :meth:`SidebarIndex.size_limit` (16 MiB, or 64 KiB per session
file when that is more). The size and first bytes are judged before the rest is read, so a
gigabyte of junk costs one ``stat``. A row of odd types is recomputed from its file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.gc_pause import collector_paused
from hermes_sessions_core.models import is_valid_session_id
from hermes_sessions_core.times import to_epoch

from .file_lock import file_lock
from .prefix import metadata_record
from .row_caps import ROW_VALUE_MAX_BYTES, capped_row
from .storage import (
    UPDATE_ATTEMPTS,
    Folder,
    TooLarge,
    VersionChanged,
    Versioned,
    holding,
    make_folder,
    pause_after_conflict,
)

__all__ = [
    "CHANGES_FOLDER", "INDEX_BYTES_PER_SESSION", "INDEX_FILE", "INDEX_FLOOR_BYTES",
    "IndexSnapshot", "SidebarIndex", "decode_entries", "suspect_row", "well_formed_row",
]

logger = logging.getLogger(__name__)

INDEX_FILE = "_index.json"
CHANGES_FOLDER = "_index.d"
LOCK_FILE = "_index.lock"
_DELETED = "_deleted"
_MIN_CHANGES_BEFORE_FOLD = 64
_READ_ATTEMPTS = 5
_HEAD_BYTES = 4096
#: ``_index.json`` may always be this large (16 MiB) ...
INDEX_FLOOR_BYTES = 16 << 20
#: ... and beyond that this much per session file (64 KiB; a row is about 2 KB): a larger
#: index is corrupt and rebuilt, so junk is never read whole.
INDEX_BYTES_PER_SESSION = 64 << 10
# A large index is judged by its first bytes before it is read whole (where a stat is cheap).
_PROBE_ABOVE = 1 << 20
# The rows of an index this process just wrote are kept only when it is this large: writing
# one takes several clock ticks, so no other writer can reuse its inode, size and mtime.
_WRITTEN_KEPT_ABOVE = 1 << 20
# Row keys the sidebar matches or groups by: text or null, else the row is recomputed.
_TEXT_ROW_KEYS = ("profile", "active_stream_id", "project_id", "parent_session_id")


@dataclass
class IndexSnapshot:
    """Rows by id as of one read, plus ids whose change file was unreadable and ids whose row
    is suspect (:func:`suspect_row`): recompute both from their files."""

    rows: dict[str, dict[str, Any]]
    damaged_ids: set[str] = field(default_factory=set)
    change_count: int = 0
    suspect_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Decoded:
    """Content decoded at one version tag; shared by readers, who copy the mapping and never
    change a row."""

    tag: str
    value: Any
    #: Ids of suspect rows; ``None`` until a reader needs them (an index this process wrote
    #: is kept at every fold, so the drop-in's saves never pay for them).
    suspects: frozenset[str] | None = None


def _sort_key(row: dict[str, Any]) -> float:
    return to_epoch(row.get("updated_at")) or 0.0


class SidebarIndex:
    """Reads and maintains the index of one session folder."""

    def __init__(
        self, folder: Folder, session_count: Callable[[int], int] | None = None
    ) -> None:
        """``session_count(enough)`` counts session files, stopping at ``enough``."""
        self.folder = folder
        #: The size rule (see :meth:`size_limit`); attributes so a test can lower them.
        self.floor_bytes = INDEX_FLOOR_BYTES
        self.bytes_per_session = INDEX_BYTES_PER_SESSION
        self._session_count = session_count
        self._thread_lock = threading.RLock()
        self._file_lock = (
            file_lock(folder.path(LOCK_FILE)) if folder.is_local else None
        )
        self._changes_since_fold = 0
        self._base_rows = 0
        self._row_versions: dict[str, str | None] = {}
        self._decoded_base: _Decoded | None = None
        self._decoded_changes: dict[str, _Decoded] = {}

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Serialise index writers in this process and, on a local disk, across processes."""
        with self._thread_lock:
            if self._file_lock is None:
                yield
                return
            # The lock file lives in the session folder, created on the first write (S2.2).
            make_folder(self.folder.root)
            with holding(self._file_lock, self.folder.path(LOCK_FILE)):
                yield

    def close(self) -> None:
        """Close the kept lock file descriptor unless the lock is held (reopened on next use)."""
        closing = getattr(self._file_lock, "close", None)
        if closing is not None:
            closing()

    def size_limit(self, session_files: int | None = None) -> int:
        """The largest ``_index.json`` that is read: ``max(floor, session files x bytes per
        session)``. The count is taken only when the floor alone is not enough to decide."""
        if session_files is None:
            if self._session_count is None:
                return self.floor_bytes
            session_files = self._session_count(1 << 62)
        return max(self.floor_bytes, session_files * self.bytes_per_session)

    # ── reading ──────────────────────────────────────────────────────────────────────────

    def read(
        self, *, missing_base_ok: bool = False, session_files: int | None = None
    ) -> IndexSnapshot | None:
        """The merged index, or ``None`` when ``_index.json`` is missing, unreadable, corrupt
        or over :meth:`size_limit` for ``session_files`` (counted when needed) (S2.9).

        ``missing_base_ok`` reads the change files alone when no ``_index.json`` was ever
        written (a new store before its first fold), for read-only callers such as the audit.
        """
        try:
            for _ in range(_READ_ATTEMPTS):
                change_names = [
                    n for n in self.folder.names(CHANGES_FOLDER)
                    if n.endswith(".json") and is_valid_session_id(n[: -len(".json")])
                ]
                base = self._read_base(session_files)
                if base is None and missing_base_ok and self.folder.info(INDEX_FILE) is None:
                    base = ({}, set())
                if base is None:
                    return None
                snapshot = IndexSnapshot(
                    rows=base[0], change_count=len(change_names), suspect_ids=base[1]
                )
                if self._apply_changes(snapshot, change_names):
                    self._base_rows = len(snapshot.rows)
                    self._changes_since_fold = len(change_names)
                    return snapshot
        except StorageError as error:
            logger.warning("session index unreadable, rebuilding it: %s", error)
        return None

    def _read_base(
        self, session_files: int | None = None
    ) -> tuple[dict[str, dict[str, Any]], set[str]] | None:
        """Rows by id and the ids of suspect rows (both the caller's own; the rows themselves
        are shared and never changed)."""
        kept = self._kept_base()
        if kept is not None:
            known = kept.suspects
            if known is None:
                known = frozenset(sid for sid, row in kept.value.items() if suspect_row(row))
                if self._decoded_base is kept:
                    self._decoded_base = _Decoded(kept.tag, kept.value, known)
            return dict(kept.value), set(known)
        base = self._read_index(session_files)
        if base is None or base.data is None:
            return None
        with collector_paused():
            entries = decode_entries(base.data)
        if entries is None:
            logger.warning(
                "session index %s is corrupt; rebuilding it", self.folder.path(INDEX_FILE)
            )
            return None
        # Ids are checked where they meet the folder: a row whose id names no session file is
        # dropped by the listing, so a per-row id check here would only repeat that work.
        rows: dict[str, dict[str, Any]] = {}
        suspects: set[str] = set()
        for entry in entries:
            if type(entry) is dict:
                session_id = entry.get("session_id")
                if type(session_id) is str:
                    rows[session_id] = entry
                    if suspect_row(entry):
                        suspects.add(session_id)
        self._keep_base(base, rows, suspects, written=False)
        return dict(rows), suspects

    def cached_row(self, session_id: str) -> dict[str, Any] | None:
        """The session's row in ``_index.json`` as already decoded at its current version (one
        stat), else ``None``; never reads the index. Change files are not applied: a caller
        looks at ``_index.d/<id>.json`` first."""
        kept = self._kept_base()
        return None if kept is None else kept.value.get(session_id)

    def _kept_base(self) -> _Decoded | None:
        """The decoded rows kept from an earlier read, if ``_index.json`` is still that version."""
        kept = self._decoded_base
        if kept is None:
            return None
        try:
            current = self.folder.version(INDEX_FILE)
        except StorageError:
            return None
        return kept if current == kept.tag else None

    def _keep_base(
        self, base: Versioned, rows: dict[str, dict[str, Any]], suspects: set[str] | None,
        *, written: bool,
    ) -> None:
        """Keep rows decoded from (or just written as) ``base`` for the next reads, when a
        later change of ``_index.json`` is sure to change its version tag."""
        tag = base.tag
        if tag is None or base.data is None or not (
            self.folder.version_settled(tag)
            or (written and len(base.data) >= _WRITTEN_KEPT_ABOVE)
        ):
            self._decoded_base = None
            return
        self._decoded_base = _Decoded(
            tag, rows, frozenset(suspects) if suspects is not None else None
        )

    def _read_index(self, session_files: int | None) -> Versioned | None:
        """``_index.json``'s bytes and version, or ``None`` when absent, unreadable or corrupt,
        judged without reading it whole where that can be told (see :meth:`_read_limited`)."""
        try:
            return self._read_limited(session_files)
        except TooLarge as error:
            self._report_too_large(error)
            return None
        except StorageError as error:
            logger.warning("session index unreadable, rebuilding it: %s", error)
            return None

    def _read_limited(self, session_files: int | None) -> Versioned | None:
        """``_index.json`` read within :meth:`size_limit` (TooLarge over it), or ``None`` when
        judged corrupt from a stat and its first bytes (:meth:`_judged_corrupt`).

        Session files are counted only for an index over the floor, which few stores reach.
        """
        def count(size: int) -> int:
            """Session files, counted only as far as an index of ``size`` bytes needs."""
            if session_files is not None:
                return session_files
            if self._session_count is None:
                return 0
            if not self.folder.cheap_versions:
                return self._session_count(1 << 62)  # ``size`` may be a read's, not the object's
            return self._session_count(size // self.bytes_per_session + 1)

        if self.folder.cheap_versions and self._judged_corrupt(count):
            return None
        # A local read also gives the file's version (one fstat), so its rows can be kept.
        read = self.folder.read_with_version if self.folder.is_local else self.folder.read_versioned
        try:
            return read(INDEX_FILE, self.floor_bytes)
        except TooLarge as error:
            limit = self.size_limit(count(error.size))
            if limit <= self.floor_bytes or (self.folder.cheap_versions and error.size > limit):
                raise  # over the real limit (the size is exact where a stat is cheap)
        return read(INDEX_FILE, limit)

    def _judged_corrupt(self, count: Callable[[int], int]) -> bool:
        """On a folder where a stat is cheap: whether ``_index.json`` is over its size limit,
        or large and not starting with ``[``, judged from one stat and its first 64 bytes."""
        info = self.folder.info(INDEX_FILE)
        if info is None or info.size <= _PROBE_ABOVE:
            return False
        limit = self.size_limit(count(info.size) if info.size > self.floor_bytes else 0)
        if info.size > limit:
            self._report_too_large(TooLarge(self.folder.path(INDEX_FILE), info.size, limit))
            return True
        if not _looks_like_a_list(self.folder.read_head(INDEX_FILE, 64) or b""):
            logger.warning(
                "session index %s does not start with '['; rebuilding it",
                self.folder.path(INDEX_FILE),
            )
            return True
        return False

    def _report_too_large(self, error: TooLarge) -> None:
        logger.warning(
            "session index %s is %s bytes, over its %s-byte limit (%s KiB per session file, at "
            "least %s MiB); rebuilding it", error.path, f"{error.size:,}", f"{error.limit:,}",
            self.bytes_per_session >> 10, self.floor_bytes >> 20,
        )

    def _base_for_write(self) -> Versioned:
        """``_index.json``'s current version, for a conditional replace, and its bytes when
        they can be read within the size limit (``b""`` when not: corrupt, replace it)."""
        try:
            base = self._read_limited(None)
        except TooLarge as error:
            return Versioned(b"", error.tag)
        except StorageError as error:
            logger.warning("replacing the unreadable session index: %s", error)
            return Versioned(b"", None)
        if base is None:  # judged corrupt unread, where writers replace under a lock anyway
            return Versioned(b"", None)
        return base

    def _apply_changes(self, snapshot: IndexSnapshot, names: list[str]) -> bool:
        kept = self._decoded_changes
        keep: dict[str, _Decoded] = {}
        for name in names:
            path = f"{CHANGES_FOLDER}/{name}"
            change = _GONE
            if self.folder.is_local:  # a stat costs a tenth of a read and decode
                decoded = kept.get(name)
                if decoded is not None and self.folder.version(path) == decoded.tag:
                    change = decoded.value
                    keep[name] = decoded
            if change is _GONE:
                change = self._read_change(path, name, keep)
            if change is _GONE:
                return False  # folded away while we read: start over
            session_id = name[: -len(".json")]
            if not isinstance(change, dict) or change.get("session_id") != session_id:
                snapshot.damaged_ids.add(session_id)
                continue
            if change.get(_DELETED):
                snapshot.rows.pop(session_id, None)
            else:
                snapshot.rows[session_id] = change
                if suspect_row(change):
                    snapshot.suspect_ids.add(session_id)
                else:
                    snapshot.suspect_ids.discard(session_id)
        if self.folder.is_local:
            self._decoded_changes = keep
        return True

    def _read_change(self, path: str, name: str, keep: dict[str, _Decoded]) -> Any:
        """A change file's decoded content (``None`` if torn), or ``_GONE`` if folded away;
        kept in ``keep`` when its version is settled."""
        tag: str | None = None
        try:
            if self.folder.is_local:
                versioned = self.folder.read_with_version(path)
                data, tag = versioned.data, versioned.tag
            else:
                data = self.folder.read(path)
        except OSError:
            data = b""
        if data is None:
            return _GONE
        try:
            change = jsoncodec.loads(data)
        except ValueError:
            change = None
        if tag is not None and self.folder.version_settled(tag):
            keep[name] = _Decoded(tag, change)
        return change

    # ── writing ──────────────────────────────────────────────────────────────────────────

    def upsert(self, row: dict[str, Any], still_current: Callable[[], bool] | None = None) -> None:
        """Record a saved session's row (S2.8).

        ``still_current`` is checked under the index lock: when another writer replaced the
        session file after ours, its row is the one to keep, so ours is not written.
        """
        self._write_change(row["session_id"], row, still_current)

    def remove(self, session_id: str) -> None:
        """Record a deletion so readers drop the row at once."""
        self._write_change(session_id, {"session_id": session_id, _DELETED: True})

    def _write_change(
        self,
        session_id: str,
        change: dict[str, Any],
        still_current: Callable[[], bool] | None = None,
    ) -> None:
        name = f"{CHANGES_FOLDER}/{session_id}.json"
        data = jsoncodec.dumps_line(change)
        with self.writing():
            if still_current is not None and self.folder.multi_writer and not self.folder.is_local:
                # Hosts share no lock: write the row only over the change file seen while the
                # session was still ours, so a deletion recorded meanwhile always wins.
                if not self._write_row_if_current(name, data, still_current):
                    return
            elif still_current is not None and not still_current():
                return
            else:
                self.folder.write(name, data)
            self._changes_since_fold += 1
            if self._changes_since_fold > max(_MIN_CHANGES_BEFORE_FOLD, self._base_rows // 8):
                self.fold()

    def _write_row_if_current(
        self, name: str, data: bytes, still_current: Callable[[], bool]
    ) -> bool:
        for attempt in range(UPDATE_ATTEMPTS):
            # The version this process last wrote is assumed, saving a read per save; a fold
            # or another host that changed the file meanwhile makes the write fail, and the
            # retry reads the file.
            known = self._row_versions.pop(name, None)
            seen = Versioned(b"", known) if known else self.folder.read_versioned(name)
            if not still_current():
                return False
            try:
                self._row_versions[name] = self.folder.write_versioned(name, data, seen)
                return True
            except VersionChanged:
                pause_after_conflict(attempt)
        raise _gave_up(self.folder)

    def fold(self, existing_ids: Callable[[], set[str]] | None = None) -> bool:
        """Fold change files into ``_index.json``; ``False`` if there was no base to fold into.

        With ``existing_ids`` (ids that have a session file), rows of sessions whose file is
        gone are dropped too, so ``_index.json`` alone never lists a ghost (S2.8).
        """
        with self.writing():
            for attempt in range(UPDATE_ATTEMPTS):
                base, rows = self._rows_for_write()
                if rows is None:
                    self._changes_since_fold = 0  # nothing to fold into until a rebuild
                    return False
                folded = self._read_changes()
                ghosts: set[str] = set()
                if existing_ids is not None:
                    ghosts = rows.keys() - existing_ids()
                if not folded and not ghosts:
                    return True
                for ghost in ghosts:
                    del rows[ghost]
                for name, (change, _) in folded.items():
                    session_id = name[: -len(".json")]
                    if not isinstance(change, dict) or change.get("session_id") != session_id:
                        continue  # torn: the listing recomputes this row from its file
                    if change.get(_DELETED):
                        rows.pop(session_id, None)
                    else:
                        rows[session_id] = change
                if self._write_base(rows, base):
                    break
                pause_after_conflict(attempt)
            else:
                raise _gave_up(self.folder)
            for name, (_, version) in folded.items():
                self.folder.remove_if_unchanged(f"{CHANGES_FOLDER}/{name}", version)
            self._changes_since_fold = 0
            self._base_rows = len(rows)
            return True

    def replace_all(self, rows: list[dict[str, Any]]) -> None:
        """Write a rebuilt index and drop the change files it replaces (S2.9).

        The rebuilt rows win (a restore may move a session back in time), except where the
        session file itself changed after the caller read it: a change file whose session was
        saved, created or deleted since then stays and overlays the rebuilt row, so a save on
        another host during the rebuild keeps its row. A change file is dropped only if it is
        still the version read here; if another host replaced ``_index.json`` meanwhile, its
        rows for sessions the rebuild did not see are kept too.
        """
        with self.writing():
            rebuilt = {row["session_id"]: row for row in rows}
            for attempt in range(UPDATE_ATTEMPTS):
                base = self._base_for_write()
                if attempt:
                    for session_id, theirs in (_parse_rows(base.data) or {}).items():
                        rebuilt.setdefault(session_id, theirs)
                changes = self._read_changes()
                if self._write_base(rebuilt, base):
                    break
                pause_after_conflict(attempt)
            else:
                raise _gave_up(self.folder)
            kept = 0
            for name, (change, version) in changes.items():
                if self._newer_than_rebuild(name[: -len(".json")], change, rebuilt):
                    kept += 1
                else:
                    self.folder.remove_if_unchanged(f"{CHANGES_FOLDER}/{name}", version)
            self._changes_since_fold = kept
            self._base_rows = len(rebuilt)

    def _newer_than_rebuild(self, session_id: str, change: Any, rebuilt: dict[str, Any]) -> bool:
        """Whether a change file records a save or delete that the rebuilt rows missed."""
        if not isinstance(change, dict) or change.get("session_id") != session_id:
            return False  # torn
        current = rebuilt.get(session_id)
        if change == current:
            return False
        try:
            head = self.folder.read_head(f"{session_id}.json", _HEAD_BYTES)
        except StorageError:
            return True  # cannot tell: keep it, the listing reconciles rows with files
        if change.get(_DELETED):
            return current is not None and head is None
        if head is None:
            return False  # no file: a ghost row, never worth keeping
        if current is None:
            return True  # created after the rebuild's scan
        on_file = _updated_at_in(head)
        return on_file is not None and on_file == to_epoch(change.get("updated_at")) != to_epoch(
            current.get("updated_at")
        )

    def _read_changes(self) -> dict[str, tuple[Any, Versioned]]:
        """Every change file's decoded content (``None`` if torn) and version, by file name."""
        changes: dict[str, tuple[Any, Versioned]] = {}
        for name in self.folder.names(CHANGES_FOLDER):
            if not name.endswith(".json"):
                continue
            try:
                version = self.folder.read_versioned(f"{CHANGES_FOLDER}/{name}")
            except TooLarge as error:
                changes[name] = (None, Versioned(b"", error.tag))  # junk: torn, folded away
                continue
            except StorageError:
                continue  # unreadable now; a later fold takes it
            if version.data is None:
                continue  # folded by another writer meanwhile
            try:
                change = jsoncodec.loads(version.data)
            except ValueError:
                change = None
            changes[name] = (change, version)
        return changes

    def _rows_for_write(self) -> tuple[Versioned, dict[str, dict[str, Any]] | None]:
        """``_index.json``'s version and its rows by id (a mapping of the caller's own);
        ``None`` rows when it is missing or corrupt."""
        kept = self._kept_base()
        if kept is not None:  # b"": not absent; its tag is what a conditional write compares
            return Versioned(b"", kept.tag), {
                sid: row for sid, row in kept.value.items() if is_valid_session_id(sid)
            }
        base = self._base_for_write()
        return base, _parse_rows(base.data)

    def _write_base(self, rows: dict[str, dict[str, Any]], base: Versioned) -> bool:
        """Replace ``_index.json`` if it is still ``base``; ``False`` if another writer won.

        Callers hold :meth:`writing`; on a local disk every writer of the index does, so the
        version of the file written here is known exactly and its rows are kept.
        """
        ordered = sorted(rows.values(), key=_sort_key, reverse=True)
        data = jsoncodec.dumps_pretty(ordered)
        if not self.folder.is_local:
            self._decoded_base = None
            return self.folder.write_if_unchanged(INDEX_FILE, data, base)
        tag = self.folder.write_versioned(INDEX_FILE, data, base)
        self._keep_base(Versioned(data, tag), rows, None, written=True)
        return True

    @property
    def pending_changes(self) -> int:
        return self._changes_since_fold


_GONE = object()  # a change file folded away while it was being read
_ROW_BOUNDARY = b"\n  },\n  {"
_BATCH_BYTES = 1 << 20


def suspect_row(row: dict[str, Any]) -> bool:
    """A row lacking ``last_message_at`` predates it; a row of odd types was not written by a
    store (hand edits, another tool): the listing recomputes both from their file."""
    return "last_message_at" not in row or not well_formed_row(row)


def well_formed_row(row: dict[str, Any]) -> bool:
    """Whether the keys the sidebar matches and groups by hold text or null, as every row a
    store writes does; a row edited by hand or by another tool may not."""
    for key in _TEXT_ROW_KEYS:
        value = row.get(key)
        if value is not None and type(value) is not str:
            return False
    return True


def _looks_like_a_list(head: bytes) -> bool:
    return head.lstrip()[:1] == b"["


def decode_entries(data: bytes) -> list[Any] | None:
    """The index's list, decoded in batches of whole rows of about 1 MB; ``None`` if corrupt.

    orjson briefly allocates many times its input, so decoding a 120 MB index in one call
    needs over a GB. In the layout our writer uses (indent 2) a row ends with a line that is
    exactly two spaces and ``}``; JSON strings cannot hold a raw newline, so cutting there is
    safe. Any other layout, or a batch that does not decode, is decoded whole. Anything that
    does not start with ``[`` is judged from that first byte.

    Rows another writer made may be huge (a 10 MB title): a batch much longer than the batch
    size holds one, so its rows are capped (:func:`capped_row`); a normal index costs nothing.
    """
    if not _looks_like_a_list(data[:64]):
        return None
    body_end = data.rfind(b"\n]")
    if data.startswith(b"[\n  {") and body_end > 0 and not data[body_end + 2:].strip():
        entries: list[Any] = []
        start = 2
        try:
            while True:
                cut = data.find(_ROW_BOUNDARY, start + _BATCH_BYTES, body_end)
                stop = body_end if cut == -1 else cut + 4
                batch = jsoncodec.loads(b"[" + data[start:stop] + b"]")
                if stop - start > _BATCH_BYTES + ROW_VALUE_MAX_BYTES:
                    batch = [capped_row(row) if isinstance(row, dict) else row for row in batch]
                entries.extend(batch)
                if cut == -1:
                    return entries
                start = cut + 6
        except (ValueError, RecursionError):
            pass
    try:
        whole = jsoncodec.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(whole, list):
        return None
    if len(data) > _BATCH_BYTES:  # another writer's layout: its rows are capped as they come
        whole = [capped_row(row) if isinstance(row, dict) else row for row in whole]
    return whole


def _parse_rows(data: bytes | None) -> dict[str, dict[str, Any]] | None:
    """Rows by id from ``_index.json`` bytes; ``None`` if missing, corrupt or not a list."""
    if data is None:
        return None
    with collector_paused():
        entries = decode_entries(data)
    if entries is None:
        return None
    return {
        entry["session_id"]: entry
        for entry in entries
        if isinstance(entry, dict) and is_valid_session_id(entry.get("session_id"))
    }


def _updated_at_in(head: bytes) -> float | None:
    """``updated_at`` from a session file's first bytes, if its metadata prefix parses."""
    record = metadata_record(head)
    return to_epoch(record.get("updated_at")) if record is not None else None


def _gave_up(folder: Folder) -> StorageError:
    return StorageError(
        f"could not update {folder.url}/{INDEX_FILE}: other writers changed it "
        f"{UPDATE_ATTEMPTS} times in a row; the change files stay and a later fold retries",
        path=folder.path(INDEX_FILE),
    )
