"""Web UI session files: load, metadata-only load, save with backups, delete, list (S2).

One :class:`SessionFiles` per session folder. Files keep the original's layout, so sessions
written by today's Web UI load unchanged and ours load there (S1.4, S1.7).

Hostile content stays in its own session. The file name is the id: a file copied to another
name loads as the session its name says, and saves go to that name only. A file that cannot
be read (special, too large, not JSON, a value the model refuses) is a ``SessionUnreadable``
naming the path, and a problem record in the listing while every other session still lists.
A save never writes less than the file held without keeping it first: fewer messages or tool
calls go to ``<id>.json.bak`` (S2.17), and a file that does not parse, or holds a value its
load could not keep (``messages`` that is not a list, ...), to ``<id>.json.corrupt.<time>``
(S2.18); when that copy cannot be written, the save is refused and nothing is written.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import SessionConflict, SessionUnreadable, StorageError
from hermes_sessions_core.merge import merge_records
from hermes_sessions_core.models import (
    MAX_SESSION_ID_LENGTH,
    ROW_ONLY_FIELDS,
    Problem,
    Session,
    StoredCopy,
    is_valid_session_id,
    require_valid_session_id,
)
from hermes_sessions_core.times import to_epoch
from hermes_sessions_core.tombstones import (
    TOMBSTONES_FILE,
    parse_tombstones,
    with_tombstone,
    without_tombstone,
)

from .file_lock import file_lock
from .index import CHANGES_FOLDER, INDEX_FILE, SidebarIndex, well_formed_row
from .prefix import metadata_prefix, metadata_record
from .row_caps import capped_row
from .storage import (
    UPDATE_ATTEMPTS,
    Folder,
    VersionChanged,
    Versioned,
    holding,
    make_folder,
    pause_after_conflict,
)

__all__ = [
    "SessionFiles", "METADATA_PREFIX_LIMIT", "STALE_TEMP_SECONDS", "WRITERS_FOLDER",
    "LOCKS_FOLDER", "RECHECK_AFTER",
]

logger = logging.getLogger(__name__)

#: Metadata-only reads look at most this far into a file (S2.11).
METADATA_PREFIX_LIMIT = 65536
_FIRST_READ = 4096
#: Temp files older than this are leftovers of a crash (S2.5).
STALE_TEMP_SECONDS = 3600
# Newline-separated stems that are all valid ids (S1.2); stems holding a newline are excluded
# by counting separators first.
_ALL_VALID_IDS = re.compile(r"(?:[0-9a-z-][0-9a-z_-]{0,%d}\n)*" % (MAX_SESSION_ID_LENGTH - 1))
#: ``_tombstones.json`` holds at most 1,000 ids of at most 200 characters (about 250 KB);
#: a file over 16 MiB is not ours and is never read (it counts as holding no tombstones).
TOMBSTONES_READ_LIMIT = 16 << 20
# Fields the session keeps as lists or objects: any other value in the file holds data that a
# load replaces by the empty value (S1.8), so the first save keeps the file aside first.
_CONTAINER_FIELDS = frozenset({
    "messages", "tool_calls", "context_messages", "pending_attachments",
    "gateway_routing_history", "gateway_routing", "composer_draft", "enabled_toolsets",
})
# Fields recomputed on every save (S1.5, S1.6): never "lost" by one.
_RECOMPUTED_FIELDS = frozenset({"session_id", "message_count"}) | ROW_ONLY_FIELDS
#: One marker per writing process, removed at a clean close.
WRITERS_FOLDER = "_writers"
_REQUIRED_METADATA = ("session_id", "title", "created_at", "updated_at")
_SESSION_SUFFIX = ".json"
_BACKUP_SUFFIX = ".json.bak"
#: Seconds a cached copy on a shared remote folder is trusted before ``get()`` re-checks its
#: version (one HEAD); setting ``json_fs.recheck_after``. Local folders check on every get.
RECHECK_AFTER = 1.0
#: Lock files that make a session's check-then-write atomic across the processes of a machine.
LOCKS_FOLDER = "_locks"
#: Sessions share this many locks, so the folder never holds more lock files than this.
_LOCK_STRIPES = 64


@dataclass(frozen=True, slots=True)
class _Held:
    """What one stored version of a session file holds, so a save knows what it replaces
    without reading it again: remembered when this process loads or writes that version."""

    version: tuple[str | None, int] | None
    messages: int = 0
    tool_calls: int = 0
    generation: int = 0
    #: Fields whose stored value the load could not keep (a value of the wrong JSON type).
    dropped: tuple[str, ...] = ()
    #: False when the file does not parse, or holds a value the model cannot take.
    readable: bool = True


class SessionFiles:
    """The session folder of one store."""

    def __init__(
        self, folder: Folder, default_workspace: str, *, fold_every_save: bool = False
    ) -> None:
        self.folder = folder
        self.default_workspace = default_workspace
        # For hosts that read ``_index.json`` themselves (the Web UI and its MCP server do):
        # each save and delete folds at once, so the file alone is always current.
        self.fold_every_save = fold_every_save
        self.index = SidebarIndex(
            folder, session_count=lambda enough: folder.count_names(_SESSION_SUFFIX, enough)
        )
        self._row_hints: dict[str, tuple[Any, Any]] = {}
        self._hints_lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._marker_failed = False
        self._folded_on_open = False
        self._writer_marker: str | None = None
        self._gates = [_CopyGate() for _ in range(_LOCK_STRIPES)]
        self._stripe_files: dict[int, Any] = {}
        self._stripe_files_lock = threading.Lock()
        self._kept_ids: tuple[str, frozenset[str]] | None = None
        #: Saves that merged another writer's changes, and saves refused as conflicts.
        self.merged_saves = 0
        self.conflicts = 0
        self._on_close: list[Callable[[], None]] = []

    # ── names ────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def file_name(session_id: str) -> str:
        return f"{session_id}{_SESSION_SUFFIX}"

    def session_ids_on_storage(self) -> set[str]:
        """Ids with a ``<id>.json`` file; store files (``_…``) and temp files excluded (S2.1).

        On a local disk the ids are kept with the folder's version (every file created,
        renamed in or removed changes its mtime) and reused while that version holds and is
        settled (see :meth:`Folder.version_settled`): listing 100,000 names costs more than
        the rest of a warm sidebar.
        """
        tag = self.folder.version("") if self.folder.is_local else None  # before listing
        kept = self._kept_ids
        if kept is not None and tag is not None and kept[0] == tag:
            return set(kept[1])
        cut = len(_SESSION_SUFFIX)
        stems = [name[:-cut] for name in self.folder.names() if name.endswith(_SESSION_SUFFIX)]
        joined = "\n".join(stems) + "\n"
        if joined.count("\n") == len(stems) and _ALL_VALID_IDS.fullmatch(joined):
            ids = set(stems)  # the usual case, checked in one pass instead of one per file
        else:
            ids = {stem for stem in stems if is_valid_session_id(stem)}
        if tag is not None and self.folder.version_settled(tag):
            self._kept_ids = (tag, frozenset(ids))
        return ids

    # ── loading ──────────────────────────────────────────────────────────────────────────

    def _decode(self, session_id: str, data: bytes) -> dict[str, Any]:
        try:
            record = jsoncodec.loads(data)
        except (ValueError, RecursionError) as error:
            raise SessionUnreadable(
                session_id, self.folder.path(self.file_name(session_id)),
                f"invalid JSON ({str(error)[:200]})",
            ) from None
        if not isinstance(record, dict):
            raise SessionUnreadable(
                session_id, self.folder.path(self.file_name(session_id)),
                f"expected a JSON object, found {type(record).__name__}",
            )
        return record

    def _session_of(self, session_id: str, record: dict[str, Any]) -> Session:
        """The session a decoded record describes, under the id its file name gives.

        The file name is authoritative: a file copied to another name holds the other
        session's id inside, and taking that id would make its saves overwrite the other
        session. The inner id is corrected by the next save; the mismatch is logged once.
        Odd values are the model's to normalise (S1.8); should it still refuse one, that makes
        this one session unreadable, never a listing.
        """
        inner = record.get("session_id")
        if inner != session_id:
            self._note_other_id(session_id, inner)
            record["session_id"] = session_id
        try:
            return Session.from_record(record, default_workspace=self.default_workspace)
        except Exception as error:  # noqa: BLE001 - one odd file must not fail a listing
            raise SessionUnreadable(
                session_id, self.folder.path(self.file_name(session_id)),
                f"a value cannot be loaded: {type(error).__name__}: {error}",
            ) from None

    def _note_other_id(self, session_id: str, inner: object) -> None:
        if inner is not None:
            _warn_other_id(self.folder.path(self.file_name(session_id)), repr(inner)[:80])

    def _read(self, session_id: str, head: int | None = None) -> bytes | None:
        name = self.file_name(session_id)
        try:
            if head is None:
                return self.folder.read(name)
            return self.folder.read_head(name, head)
        except StorageError as error:
            raise SessionUnreadable(session_id, self.folder.path(name), str(error)) from None

    def load(self, session_id: str) -> Session | None:
        """The full session, ``None`` if absent; :class:`SessionUnreadable` if it cannot be
        read (special, over the size limit) or does not parse.

        The session remembers the version it came from, so saving it is conditional on that.
        """
        if not is_valid_session_id(session_id):
            return None
        name = self.file_name(session_id)
        try:
            stored = self.folder.read_with_version(name)
        except StorageError as error:
            raise SessionUnreadable(session_id, self.folder.path(name), str(error)) from None
        if stored.data is None:
            return None
        version = _version_of(stored)
        session, held = self._parse(session_id, stored.data, version)
        session.remember_stored(version, stored.data)
        self._remember_held(session_id, held)
        return session

    def _parse(
        self, session_id: str, data: bytes, version: tuple[str | None, int] | None
    ) -> tuple[Session, _Held]:
        """The session in ``data`` and what that version holds (see :class:`_Held`)."""
        record = self._decode(session_id, data)
        session = self._session_of(session_id, record)
        values = vars(session)
        dropped = tuple(sorted(
            name for name, value in record.items()
            if not _is_blank(value) and name not in _RECOMPUTED_FIELDS
            and not name.startswith("_")
            and (name in _CONTAINER_FIELDS or isinstance(value, (list, dict)))
            and values.get(name) is not value and values.get(name) != value
        ))
        if dropped:
            _warn_dropped(self.folder.path(self.file_name(session_id)), ", ".join(dropped))
        held = _Held(
            version, len(session.messages), len(session.tool_calls), _generation_of(record),
            dropped,
        )
        return session, held

    def _held_in(self, session_id: str, data: bytes) -> _Held:
        """What stored bytes hold, read again (a save without a remembered version)."""
        try:
            return self._parse(session_id, data, None)[1]
        except SessionUnreadable:
            return _Held(None, readable=False)

    def _remember_held(self, session_id: str, held: _Held) -> None:
        with self._hints_lock:
            self._held[session_id] = held

    def _held_at(self, session_id: str, current: Versioned) -> _Held | None:
        """What this process remembers of exactly the stored version ``current``, if anything."""
        with self._hints_lock:
            held = self._held.get(session_id)
        if held is None or held.version is None or held.version != _version_of(current):
            return None
        return held

    def is_current(self, session: Session, recheck_after: float = RECHECK_AFTER) -> bool | None:
        """Whether storage still holds the version ``session`` was loaded or saved as: one
        ``stat`` (one HEAD on an object store); ``None`` when that is not known.

        A remote folder one host writes is never asked (a HEAD per read would buy nothing);
        a shared one only once the copy is ``recheck_after`` seconds old. A save still checks.
        """
        stored = session.stored_copy
        if stored is None or not is_valid_session_id(session.session_id):
            return None
        if not self.folder.cheap_versions and (
            not self.folder.multi_writer or time.time() - stored.at < recheck_after
        ):
            return None
        try:
            tag = self.folder.version(self.file_name(session.session_id))
        except StorageError:
            return None
        if stored.version is None:
            return tag is None
        return bool(tag == stored.version[0])

    def load_metadata(self, session_id: str) -> Session | None:
        """Metadata only, from at most 64 KB of the file (S2.11-S2.13); else a full load."""
        if not is_valid_session_id(session_id):
            return None
        data = self._read(session_id, _FIRST_READ)
        if data is None:
            return None
        prefix = metadata_prefix(data)
        if prefix is None and len(data) == _FIRST_READ:
            data = self._read(session_id, METADATA_PREFIX_LIMIT) or b""
            prefix = metadata_prefix(data)
        if prefix is None:
            return self.load(session_id)
        try:
            record = jsoncodec.loads(prefix)
        except (ValueError, RecursionError):
            return self.load(session_id)
        if not isinstance(record, dict) or any(k not in record for k in _REQUIRED_METADATA):
            return self.load(session_id)
        count = record.get("message_count")
        if _is_count(count):
            # The user-message count and last message time are row values, never stored in
            # the file (S1.5): take them from this process's saves, else report the user count
            # as unknown (None, never 0) and the last activity as updated_at.
            with self._hints_lock:
                hints = self._row_hints.get(session_id) or (None, None)
        else:
            # The original wrote no count (S1.6): take it from the index row when that row
            # is provably of this very file; an unknown count is never reported as 0 (S2.13),
            # so without one the whole file is read instead.
            row = self._row_of_version(session_id, record)
            if row is None:
                return self.load(session_id)
            count = row["message_count"]
            user_count = row.get("user_message_count")
            hints = (
                user_count if _is_count(user_count) else None, to_epoch(row.get("last_message_at"))
            )
        record["messages"] = []
        record["tool_calls"] = []
        session = self._session_of(session_id, record)
        session.mark_partial(
            "metadata_only",
            message_count=count,
            user_message_count=hints[0],
            last_message_at=hints[1],
        )
        return session

    def _row_of_version(self, session_id: str, prefix: dict[str, Any]) -> dict[str, Any] | None:
        """The session's index row if it provably describes the file whose metadata prefix is
        ``prefix``, else ``None``; never reads ``_index.json`` itself.

        The row is the change file ``_index.d/<id>.json`` when there is one (the newest row;
        damaged or a deletion: none), else a row the index already holds decoded. It must be
        well formed, hold a count, and carry the file's ``updated_at``; a change file must
        also be no older than the session file, since every save writes the file first: a
        row left by an earlier save (of ours, before the original wrote the file again with
        its ``updated_at`` kept) is thereby refused.
        """
        changed = f"{CHANGES_FOLDER}/{session_id}.json"
        try:
            written = self.folder.info(changed)
            if written is not None:
                data = self.folder.read_versioned(changed, METADATA_PREFIX_LIMIT).data
                current = self.folder.info(self.file_name(session_id))
                if data is None or current is None or written.mtime < current.mtime:
                    return None
                row = jsoncodec.loads(data)
            else:
                # A row the index holds decoded (never a read), from an index written after
                # the session file, as every save of the original wrote them.
                row = self.index.cached_row(session_id)
                if row is not None:
                    indexed = self.folder.info(INDEX_FILE)
                    current = self.folder.info(self.file_name(session_id))
                    if indexed is None or current is None or indexed.mtime < current.mtime:
                        return None
        except (StorageError, ValueError, RecursionError):
            return None
        if (
            not isinstance(row, dict) or row.get("session_id") != session_id
            or not well_formed_row(row) or not _is_count(row.get("message_count"))
        ):
            return None
        stamp = to_epoch(prefix.get("updated_at"))
        if stamp is None or to_epoch(row.get("updated_at")) != stamp:
            return None
        return row

    def _remember(self, row: dict[str, Any]) -> tuple[Any, Any] | None:
        user_count = row.get("user_message_count")
        last_at = row.get("last_message_at")
        if user_count is None or last_at is None:
            return None
        hints = (user_count, last_at)
        with self._hints_lock:
            self._row_hints[row["session_id"]] = hints
        return hints

    # ── saving ───────────────────────────────────────────────────────────────────────────

    # ── writer markers ───────────────────────────────────────────────────────────────────

    def _mark_writer(self) -> None:
        """Note that this process writes here; ``close()`` removes the note. A note left by a
        process that no longer runs means it was killed mid-save, so recovery rebuilds."""
        if self._writer_marker is not None or self._marker_failed:
            return
        host = _host_name()
        name = f"{WRITERS_FOLDER}/{host}.{os.getpid()}.json"
        try:
            self.folder.write(name, jsoncodec.dumps_line(
                {"host": host, "pid": os.getpid(), "started_at": time.time()}))
        except StorageError as error:
            # Only crash detection is lost (recovery then cannot tell this process was killed
            # mid-save); a damaged _writers entry must not block every save.
            self._marker_failed = True
            logger.warning("could not write the writer marker, saving without it: %s", error)
            return
        self._writer_marker = name

    def dead_writers(self) -> list[str]:
        """Markers of processes on this host that stopped without closing their store."""
        host = _host_name()
        dead = []
        try:
            names = self.folder.names(WRITERS_FOLDER)
        except StorageError as error:
            logger.warning("could not list writer markers: %s", error)
            return []
        for name in names:
            stem = name[: -len(".json")] if name.endswith(".json") else name
            marker_host, _, pid_text = stem.rpartition(".")
            if marker_host != host or not pid_text.isdigit():
                continue  # another host's writer: its liveness cannot be checked from here
            if int(pid_text) == os.getpid() or _process_alive(int(pid_text)):
                continue
            dead.append(f"{WRITERS_FOLDER}/{name}")
        return dead

    # ── saving ───────────────────────────────────────────────────────────────────────────

    def save(self, session: Session, skip_index: bool = False) -> None:
        """Write the session atomically, never over a version this copy has not seen.

        A copy that was loaded (or saved) remembers that version. If another writer stored a
        newer one since, both sides' changes are merged (:mod:`hermes_sessions_core.merge`)
        and the copy in memory takes the result; when they cannot be merged, or the session
        was deleted since, :class:`SessionConflict` is raised and nothing is written. A copy
        built in memory is written as the whole session. Shrinks keep a backup (S2.17-S2.19).

        On a local disk a save waits for four syncs, each needed: the session's temp file and,
        after the rename, its folder (a returned save survives a power cut), then the same for
        the row's change file (a lost one would list an older row, which nothing detects). The
        search index is not synced: it catches up from the files (see ``search_index``).
        """
        session_id = require_valid_session_id(session.session_id)
        self._mark_writer()
        name = self.file_name(session_id)
        stored = session.stored_copy
        with self._write_lock(session_id, session) as gate:
            for attempt in range(UPDATE_ATTEMPTS):
                current = self._read_head_for_save(session_id)
                record = session.to_record()
                merged = None
                held = self._held_at(session_id, current)
                if stored is not None and _version_of(current) != stored.version:
                    merged, current, held = self._merge_with_stored(session, stored, record)
                    if merged is not None:
                        record = Session.from_record(
                            merged, default_workspace=self.default_workspace
                        ).to_record()
                payload = jsoncodec.dumps_pretty(record)
                self._protect_previous(session_id, record, current, held)
                try:
                    tag = self.folder.write_versioned(name, payload, current)
                except VersionChanged:
                    pause_after_conflict(attempt)
                    continue  # another host won the race: compare and merge again
                break
            else:
                raise StorageError(
                    f"could not save session {session_id!r}: other writers replaced it "
                    f"{UPDATE_ATTEMPTS} times in a row; try again", path=self.folder.path(name),
                )
            with gate.alone():
                if merged is not None:
                    session.adopt_record(merged)
                    self.merged_saves += 1
                # A thread saving the same copy may have replaced the file after us: the copy
                # then remembers that thread's version, never an older one.
                written = (tag, zlib.crc32(payload[:_FIRST_READ]))
                if not gate.shared or self.folder.version(name) == tag:
                    session.remember_stored(written, payload)
                self._remember_held(session_id, _Held(
                    written, len(record["messages"]), len(record["tool_calls"]),
                    _generation_of(record),
                ))
            self._lift_tombstone(session_id)
        if not skip_index:
            row = capped_row(session.compact())
            still_current = None
            if tag is not None:
                # Another process may have saved this session after us: its row must win.
                def still_current() -> bool:
                    return self._is_our_version(name, tag, record)

            self.index.upsert(row, still_current)
            self._remember(row)
            if self.fold_every_save:
                self._fold_for_close()

    def _read_head_for_save(self, session_id: str) -> Versioned:
        name = self.file_name(session_id)
        try:
            return self.folder.read_head_with_version(name, _FIRST_READ)
        except StorageError as error:
            raise StorageError(
                f"cannot save session {session_id!r}: {error}", path=self.folder.path(name)
            ) from None

    def _merge_with_stored(
        self, session: Session, stored: StoredCopy, ours: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, Versioned, _Held | None]:
        """Another writer stored a version this copy has not seen: merge with it, or refuse.

        Returns the merged record (``None`` when there is nothing to merge with: the file is
        gone without a deletion, or does not parse and is kept aside by the save), the
        stored version the write must replace, and what that version holds.
        """
        session_id = session.session_id
        name = self.file_name(session_id)
        try:
            theirs = self.folder.read_with_version(name)
        except StorageError as error:
            raise StorageError(
                f"cannot save session {session_id!r}: {error}", path=self.folder.path(name)
            ) from None
        if theirs.data is None:
            deleted_at = self.tombstones().get(session_id)
            if stored.version is not None and deleted_at is not None:
                self.conflicts += 1
                raise SessionConflict(
                    session_id, f"it was deleted (at {deleted_at:.3f}) after this copy was loaded",
                    loaded_version=stored.version[0], current_version=None,
                )
            return None, theirs, None  # removed by hand or never created: write it anew
        try:
            their_session, held = self._parse(session_id, theirs.data, _version_of(theirs))
        except SessionUnreadable:
            # S2.18: the unreadable file is kept aside, then replaced
            return None, theirs, _Held(_version_of(theirs), readable=False)
        their_record = their_session.to_record()
        try:
            merged = merge_records(
                stored.snapshot(), ours, their_record, session_id=session_id,
                versions=(stored.version[0] if stored.version else None, theirs.tag),
            )
        except SessionConflict:
            self.conflicts += 1
            raise
        logger.info("session %s: merged changes saved by another writer", session_id)
        return merged, theirs, held

    def locked(self, session_id: str) -> Any:
        """Hold the session's write lock alone: for changes that are not saves of a copy (a
        delete, a restore), which no compare-then-write may straddle."""
        return self._write_lock(session_id, object())

    @contextmanager
    def _write_lock(self, session_id: str, copy: object) -> Iterator[_CopyGate]:
        """Make compare-then-write atomic for one session: against this process's threads
        saving other copies of it, and on a local disk against every process of the machine
        (a file lock). Threads saving the very same copy may pass together: they write the
        same object, and the original let such saves run side by side."""
        stripe = zlib.crc32(session_id.encode()) % _LOCK_STRIPES
        gate = self._gates[stripe]
        with gate.held_for(copy):
            if not self.folder.is_local:
                yield gate
                return
            path = os.path.join(self.folder.path(LOCKS_FOLDER), f"{stripe:02d}.lock")
            with self._stripe_files_lock:
                lock = self._stripe_files.get(stripe)
                if lock is None:
                    make_folder(os.path.dirname(path))
                    lock = file_lock(path)
                    self._stripe_files[stripe] = lock
            with holding(lock, path):  # counts holders: the copy's threads share one acquisition
                yield gate

    def _is_our_version(self, name: str, written: str, ours: dict[str, Any]) -> bool:
        """Is the file on storage still the one this save wrote?

        The version tag of a local file (device, inode, size, mtime) alone can repeat: a freed
        inode is reused and kernel timestamps are coarse, so another writer's file of the same
        size can look like ours. The metadata prefix settles it: its update time, title and
        count must be ours too.
        """
        try:
            if self.folder.version(name) != written:
                return False
        except StorageError:
            return True  # cannot tell: keep our row, the listing reconciles rows with files
        if self.folder.exact_versions:
            return True  # an ETag names the content itself: a match is our version
        try:
            head = self.folder.read_head(name, _FIRST_READ)
        except StorageError:
            return True  # the identity matched; a failed re-read must not lose our row
        record = metadata_record(head) if head else None
        if record is None:
            return True
        keys = ("updated_at", "title", "message_count")
        return all(record.get(key) == ours.get(key) for key in keys)

    def _protect_previous(
        self, session_id: str, record: dict[str, Any], current: Versioned, held: _Held | None
    ) -> None:
        """Keep what the file being replaced holds that ``record`` does not (S2.17-S2.19).

        ``current`` is the stored version (its first bytes at least), read under the write
        lock; ``held`` what this process knows that version holds, if it does (then nothing
        more is read unless a copy must be written). A file that does not parse or holds a
        value its load dropped goes to ``<id>.json.corrupt.<time>``; fewer messages or fewer
        tool calls to ``<id>.json.bak``, unless a backup of the same shrink generation holds
        more. When the copy cannot be written the save is refused: raises StorageError.
        """
        if current.data is None:
            return
        previous: bytes | None = None
        if held is None:
            previous = self._previous_bytes(session_id)
            if previous is None:
                return
            held = self._held_in(session_id, previous)
        if not held.readable or held.dropped:
            previous = previous if previous is not None else self._previous_bytes(session_id)
            if previous is not None:
                self._keep_aside(session_id, previous, held)
            return
        incoming = (len(record["messages"]), len(record["tool_calls"]))
        if held.messages <= incoming[0] and held.tool_calls <= incoming[1]:
            return  # growing or equal: the common case reads nothing more and writes no backup
        previous = previous if previous is not None else self._previous_bytes(session_id)
        if previous is None or self._better_backup_exists(session_id, held):
            return
        backup = f"{session_id}{_BACKUP_SUFFIX}"
        try:
            self.folder.write(backup, previous)
        except StorageError as error:
            raise StorageError(
                f"cannot save session {session_id!r}: it would keep {incoming[0]} of "
                f"{held.messages} messages and {incoming[1]} of {held.tool_calls} "
                f"tool calls, and the backup of the stored version could not be written "
                f"({error}); nothing was saved",
                path=self.folder.path(backup),
            ) from None

    def _previous_bytes(self, session_id: str) -> bytes | None:
        """The whole file a save is about to replace (never over the read limit)."""
        name = self.file_name(session_id)
        try:
            return self.folder.read(name)
        except StorageError as error:
            raise StorageError(
                f"cannot save session {session_id!r}: the stored file must be kept before it is "
                f"replaced, and it cannot be read: {error}",
                path=self.folder.path(name),
            ) from None

    def _keep_aside(self, session_id: str, previous: bytes, held: _Held) -> None:
        """S2.18: keep a file that does not parse, or whose load dropped a value, as
        ``<id>.json.corrupt.<unix time>`` (never over an earlier one); raises StorageError."""
        name = self.file_name(session_id)
        aside = f"{name}.corrupt.{int(time.time())}"
        attempt = 1
        while self.folder.info(aside) is not None:
            attempt += 1
            aside = f"{name}.corrupt.{int(time.time())}.{attempt}"
        self.folder.write(aside, previous)
        why = (
            "did not parse" if not held.readable
            else f"held {', '.join(held.dropped)} of a type its load could not keep"
        )
        logger.warning(
            "session file %s %s; kept its bytes as %s before saving",
            self.folder.path(name), why, aside,
        )

    def _better_backup_exists(self, session_id: str, held: _Held) -> bool:
        """A backup of the same shrink generation holding more is kept (S2.19); a backup
        that cannot be read or parsed is not better, and is replaced."""
        name = f"{session_id}{_BACKUP_SUFFIX}"
        try:
            data = self.folder.read(name)
        except StorageError as error:
            logger.warning("replacing the unreadable backup %s: %s", self.folder.path(name), error)
            return False
        if not data:
            return False
        try:
            backup = jsoncodec.loads(data)
        except (ValueError, RecursionError):
            return False
        if not isinstance(backup, dict) or not isinstance(backup.get("messages"), list):
            return False
        if _generation_of(backup) != held.generation:
            return False
        tool_calls = backup.get("tool_calls")
        counts = (len(backup["messages"]), len(tool_calls) if isinstance(tool_calls, list) else 0)
        return counts > (held.messages, held.tool_calls)

    # ── tombstones ───────────────────────────────────────────────────────────────────────

    def tombstones(self) -> dict[str, float]:
        """Deleted ids; a missing, unreadable or oversized file holds none."""
        try:
            return parse_tombstones(
                self.folder.read_with_version(TOMBSTONES_FILE, TOMBSTONES_READ_LIMIT).data
            )
        except StorageError:
            return {}

    def _lift_tombstone(self, session_id: str) -> None:
        """Saving an id again lifts its tombstone (S2.26). The save itself is done by now:
        a tombstones file that cannot be read or written is logged, never raised."""

        def lift(data: bytes | None) -> bytes | None:
            current = parse_tombstones(data)
            if session_id not in current:
                return None
            return jsoncodec.dumps_pretty(without_tombstone(current, session_id))

        try:
            if self.folder.info(TOMBSTONES_FILE) is None:
                return
            # A conditional update: a deletion on another host meanwhile is never lost.
            self.folder.update(TOMBSTONES_FILE, lift, TOMBSTONES_READ_LIMIT)
        except StorageError as error:
            logger.warning("could not lift the tombstone of session %s: %s", session_id, error)

    # ── deleting ─────────────────────────────────────────────────────────────────────────

    def delete(self, session_id: str) -> bool:
        """Tombstone the id, then remove backup, file and index row (S2.26).

        The order is what makes a kill at any instant safe: the tombstone comes first, so a
        backup left behind is never restored as an orphan (recovery skips tombstoned ids), and
        the backup goes before the file, so no orphan backup exists without one.
        """
        session_id = require_valid_session_id(session_id)
        self._mark_writer()
        deleted_at = time.time()
        # Under the session's write lock, so a save that compared versions before the
        # delete cannot put the file back after it.
        with self.locked(session_id):
            self.folder.update(
                TOMBSTONES_FILE,
                lambda data: jsoncodec.dumps_pretty(
                    with_tombstone(parse_tombstones(data), session_id, deleted_at)
                ),
                TOMBSTONES_READ_LIMIT,
            )
            try:
                existed = self.folder.remove(f"{session_id}{_BACKUP_SUFFIX}")
                existed = self.folder.remove(self.file_name(session_id)) or existed
            except StorageError:
                self._untombstone_survivor(session_id)
                raise
        self.index.remove(session_id)
        with self._hints_lock:
            self._row_hints.pop(session_id, None)
            self._held.pop(session_id, None)
        if self.fold_every_save:
            self._fold_for_close()
        return existed

    def _untombstone_survivor(self, session_id: str) -> None:
        """A delete failed with the session file still there: lift the tombstone it wrote
        first, so the session is left as it was (its backup, if removed, is no orphan)."""
        try:
            if self.folder.info(self.file_name(session_id)) is None:
                return
        except StorageError:
            pass  # cannot tell: the session is most likely still there
        self._lift_tombstone(session_id)

    # ── listing ──────────────────────────────────────────────────────────────────────────

    def rows(
        self,
        in_memory_ids: Iterable[str] = (),
        row_exists: Callable[[str], bool] | None = None,
    ) -> tuple[list[dict[str, Any]], list[Problem]]:
        """Index rows for every session file, repaired where the index lags (S2.35).

        A row whose file is gone is dropped unless its id is in memory or ``row_exists`` says
        the session still exists elsewhere.
        """
        problems: list[Problem] = []
        if not self._folded_on_open:
            self._folded_on_open = True
            try:
                if self.index.pending_changes or self.folder.names(CHANGES_FOLDER):
                    self.index.fold()
            except StorageError as error:
                logger.warning("could not fold session index changes: %s", error)
        snapshot = self.index.read()  # before the file names: a save in between is then seen
        on_storage = self.session_ids_on_storage()
        if snapshot is None:
            return self.rebuild(on_storage, problems), problems
        rows = snapshot.rows
        ghosts = rows.keys() - on_storage
        if ghosts:
            ghosts -= set(in_memory_ids)
        for ghost in [sid for sid in rows if sid in ghosts] if ghosts else ():  # index order
            if (
                row_exists is not None and is_valid_session_id(ghost)
                and well_formed_row(rows[ghost]) and row_exists(ghost)
            ):
                continue
            del rows[ghost]  # no file and no in-memory object (S2.8), or not a session's row
        stale = snapshot.suspect_ids & rows.keys()  # see suspect_row
        stale |= snapshot.damaged_ids & on_storage
        stale |= on_storage - rows.keys()
        for session_id in stale:
            row = self._row_from_file(session_id, problems)
            if row is None:
                rows.pop(session_id, None)
                continue
            rows[session_id] = row
            try:
                self.index.upsert(row)
            except StorageError as error:  # the row is listed; the next listing tries again
                logger.warning("could not record the sidebar row of %s: %s", session_id, error)
        if stale and self.fold_every_save:
            try:
                self._fold_for_close()
            except StorageError as error:
                logger.warning("could not fold session index changes: %s", error)
        return list(rows.values()), problems

    def _row_from_file(self, session_id: str, problems: list[Problem]) -> dict[str, Any] | None:
        """The session's row from its file; ``None`` (and a problem naming the file) when it
        cannot be read, so one bad file never empties the sidebar."""
        path = self.folder.path(self.file_name(session_id))
        try:
            session = self.load(session_id)
            return capped_row(session.compact()) if session is not None else None
        except SessionUnreadable as error:
            problem = Problem.from_exception(
                "json_fs", "hermes_sessions_list_rows", error, path=error.path
            )
        except Exception as error:  # noqa: BLE001 - a value the row rules cannot take
            problem = Problem.from_exception(
                "json_fs", "hermes_sessions_list_rows",
                SessionUnreadable(session_id, path, f"{type(error).__name__}: {error}"), path=path,
            )
        problems.append(problem)
        logger.warning("skipping unreadable session file: %s", problem.message)
        return None

    def rebuild(
        self, on_storage: set[str] | None = None, problems: list[Problem] | None = None
    ) -> list[dict[str, Any]]:
        """Rebuild the index from every session file (S2.9) and sweep stale temp files (S2.5)."""
        problems = problems if problems is not None else []
        self.sweep_stale_temp_files()
        ids = on_storage if on_storage is not None else self.session_ids_on_storage()
        rows = []
        for session_id in sorted(ids):
            row = self._row_from_file(session_id, problems)
            if row is not None:
                rows.append(row)
        if not ids and not self.folder.names():
            return rows  # an empty or absent folder: nothing to index, nothing to create
        try:
            self.index.replace_all(rows)
        except StorageError as error:
            logger.warning("could not write the rebuilt session index: %s", error)
        return rows

    def sweep_stale_temp_files(self) -> int:
        """Delete ``*.tmp.*`` leftovers older than an hour; errors never block (S2.5)."""
        removed = 0
        cutoff = time.time() - STALE_TEMP_SECONDS
        try:
            names = [n for n in self.folder.names() if ".tmp." in n]
        except OSError:
            return 0
        for name in names:
            try:
                info = self.folder.info(name)
                if info is not None and info.mtime < cutoff and self.folder.remove(name):
                    removed += 1
            except OSError:
                continue
        return removed

    def when_closed(self, release: Callable[[], None]) -> None:
        """Call ``release`` at every :meth:`close`: for what is kept open beside the folder
        (the search index's connection), which reopens on its next use."""
        self._on_close.append(release)

    def close(self) -> None:
        """Fold pending index changes so ``_index.json`` alone is current for today's Web UI,
        release what was kept open beside the folder, then remove this process's writer
        marker: a clean shutdown."""
        try:
            self._fold_for_close()
        finally:
            for release in list(self._on_close):
                try:
                    release()
                except Exception as error:  # noqa: BLE001 - closing never fails a shutdown
                    logger.warning("could not release %r: %s", release, error)
            with self._stripe_files_lock:
                for lock in self._stripe_files.values():
                    getattr(lock, "close", lambda: None)()  # a kept descriptor, when idle
            self.index.close()
            if self._writer_marker is not None:
                try:
                    self.folder.remove(self._writer_marker)
                except OSError:
                    pass
                self._writer_marker = None

    def _fold_for_close(self) -> None:
        """Fold now; storage that cannot be reached (a dropped SFTP connection) is logged,
        never raised: the saves themselves succeeded, and the next fold catches up."""
        existing = self.session_ids_on_storage if self.fold_every_save else None
        try:
            if not self.fold_every_save and not (
                self.index.pending_changes or self.folder.names(CHANGES_FOLDER)
            ):
                return
            if not self.index.fold(existing):
                self.rebuild()  # no base index yet: write a complete one
        except StorageError as error:
            logger.warning("could not fold session index changes: %s", error)


class _CopyGate:
    """An in-process lock that the threads saving one and the same copy may hold together."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._holder: object = None
        self._count = 0

    @contextmanager
    def held_for(self, copy: object) -> Iterator[None]:
        with self._condition:
            while self._count and self._holder is not copy:
                self._condition.wait()
            self._holder = copy
            self._count += 1
        try:
            yield
        finally:
            with self._condition:
                self._count -= 1
                if not self._count:
                    self._holder = None
                    self._condition.notify_all()

    @property
    def shared(self) -> bool:
        """Whether another thread holds the gate for the same copy right now."""
        return self._count > 1

    def alone(self) -> threading.Condition:
        """A short step no other holder runs at the same time (updating the copy itself)."""
        return self._condition


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but belongs to someone else
    return True


def _version_of(stored: Versioned) -> tuple[str | None, int] | None:
    """A session file's version: the backend's tag plus a checksum of its first 4 KB, so a
    reused inode with the same size and time is still told apart; ``None`` when absent."""
    if stored.data is None:
        return None
    return (stored.tag, zlib.crc32(stored.data[:_FIRST_READ]))


def _recorded_count(head: bytes) -> int | None:
    """``message_count`` from a file's metadata prefix, if recorded (S1.6)."""
    record = metadata_record(head)
    count = record.get("message_count") if record is not None else None
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    return None


@functools.lru_cache(maxsize=1024)
def _warn_other_id(path: str, inner: str) -> None:
    """Log once per file and inner id (the cache remembers) that the file name won."""
    logger.warning(
        "session file %s holds session_id %s; loaded under its file name, which is the id, "
        "and its next save writes that id", path, inner,
    )


@functools.lru_cache(maxsize=1024)
def _warn_dropped(path: str, fields: str) -> None:
    """Log once per file and fields that a load replaced stored values by empty ones."""
    logger.warning(
        "session file %s: %s could not be loaded as stored (wrong JSON type); the file is "
        "kept aside as <id>.json.corrupt.<time> before its next save", path, fields,
    )


def _is_count(value: object) -> bool:
    """A recorded count: a whole number, not negative, not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _generation_of(record: dict[str, Any]) -> int:
    """The record's ``intentional_shrink_generation`` (S2.20), 0 when unset or odd."""
    value = record.get("intentional_shrink_generation")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _is_blank(value: object) -> bool:
    """Holds nothing worth keeping: null, false, zero, or an empty text, list or object."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, list, dict)):
        return not value
    return type(value) in (int, float) and value == 0


def _host_name() -> str:
    """This machine's name, for writer markers; socket loads only for a process that writes or
    recovers (a listing needs neither)."""
    import socket

    return socket.gethostname()
