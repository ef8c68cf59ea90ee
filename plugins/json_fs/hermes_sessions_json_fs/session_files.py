"""Web UI session files: load, metadata-only load, save with backups, delete, list (S2).

One :class:`SessionFiles` per session folder. Files keep the original's layout, so sessions
written by today's Web UI load unchanged and ours load there (S1.4, S1.7).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from filelock import FileLock

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import SessionConflict, SessionUnreadable, StorageError
from hermes_sessions_core.merge import merge_records
from hermes_sessions_core.models import (
    Problem,
    Session,
    StoredCopy,
    is_valid_session_id,
    require_valid_session_id,
)
from hermes_sessions_core.tombstones import (
    TOMBSTONES_FILE,
    parse_tombstones,
    with_tombstone,
    without_tombstone,
)

from .index import CHANGES_FOLDER, SidebarIndex
from .prefix import metadata_prefix, metadata_record
from .storage import UPDATE_ATTEMPTS, Folder, VersionChanged, Versioned, pause_after_conflict

__all__ = [
    "SessionFiles", "METADATA_PREFIX_LIMIT", "STALE_TEMP_SECONDS", "WRITERS_FOLDER",
    "LOCKS_FOLDER",
]

logger = logging.getLogger(__name__)

#: Metadata-only reads look at most this far into a file (S2.11).
METADATA_PREFIX_LIMIT = 65536
_FIRST_READ = 4096
#: Temp files older than this are leftovers of a crash (S2.5).
STALE_TEMP_SECONDS = 3600
# Newline-separated stems that are all valid ids (S1.2); stems holding a newline are excluded
# by counting separators first.
_ALL_VALID_IDS = re.compile(r"(?:[0-9a-z-][0-9a-z_-]{0,199}\n)*")
#: One marker per writing process, removed at a clean close.
WRITERS_FOLDER = "_writers"
_REQUIRED_METADATA = ("session_id", "title", "created_at", "updated_at")
_SESSION_SUFFIX = ".json"
_BACKUP_SUFFIX = ".json.bak"
#: Lock files that make a session's check-then-write atomic across the processes of a machine.
LOCKS_FOLDER = "_locks"
#: Sessions share this many locks, so the folder never holds more lock files than this.
_LOCK_STRIPES = 64


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
        self.index = SidebarIndex(folder)
        self._row_hints: dict[str, tuple[Any, Any]] = {}
        self._hints_lock = threading.Lock()
        self._folded_on_open = False
        self._writer_marker: str | None = None
        self._gates = [_CopyGate() for _ in range(_LOCK_STRIPES)]
        self._stripe_files: dict[int, FileLock] = {}
        self._stripe_files_lock = threading.Lock()
        #: Saves that merged another writer's changes, and saves refused as conflicts.
        self.merged_saves = 0
        self.conflicts = 0

    # ── names ────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def file_name(session_id: str) -> str:
        return f"{session_id}{_SESSION_SUFFIX}"

    def session_ids_on_storage(self) -> set[str]:
        """Ids with a ``<id>.json`` file; store files (``_…``) and temp files excluded (S2.1)."""
        cut = len(_SESSION_SUFFIX)
        stems = [name[:-cut] for name in self.folder.names() if name.endswith(_SESSION_SUFFIX)]
        joined = "\n".join(stems) + "\n"
        if joined.count("\n") == len(stems) and _ALL_VALID_IDS.fullmatch(joined):
            return set(stems)  # the usual case, checked in one pass instead of one per file
        return {stem for stem in stems if is_valid_session_id(stem)}

    # ── loading ──────────────────────────────────────────────────────────────────────────

    def _decode(self, session_id: str, data: bytes) -> dict[str, Any]:
        try:
            record = jsoncodec.loads(data)
        except ValueError as error:
            raise SessionUnreadable(
                session_id, self.folder.path(self.file_name(session_id)), f"invalid JSON ({error})"
            ) from None
        if not isinstance(record, dict):
            raise SessionUnreadable(
                session_id, self.folder.path(self.file_name(session_id)),
                f"expected a JSON object, found {type(record).__name__}",
            )
        return record

    def _read(self, session_id: str, head: int | None = None) -> bytes | None:
        name = self.file_name(session_id)
        try:
            if head is None:
                return self.folder.read(name)
            return self.folder.read_head(name, head)
        except StorageError as error:
            raise SessionUnreadable(session_id, self.folder.path(name), str(error)) from None

    def load(self, session_id: str) -> Session | None:
        """The full session, ``None`` if absent; :class:`SessionUnreadable` if it does not parse.

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
        session = self._session_from(session_id, stored.data)
        session.remember_stored(_version_of(stored), stored.data)
        return session

    def _session_from(self, session_id: str, data: bytes) -> Session:
        record = self._decode(session_id, data)
        record["session_id"] = session_id if not record.get("session_id") else record["session_id"]
        return Session.from_record(record, default_workspace=self.default_workspace)

    def is_current(self, session: Session) -> bool | None:
        """Whether storage still holds the version ``session`` was loaded or saved as: one
        ``stat`` (one HEAD on an object store); ``None`` when that is not known."""
        stored = session.stored_copy
        if stored is None:
            return None
        try:
            tag = self.folder.version(self.file_name(session.session_id))
        except StorageError:
            return None
        if stored.version is None:
            return tag is None
        return tag == stored.version[0]

    def load_metadata(self, session_id: str) -> Session | None:
        """Metadata only, from at most 64 KB of the file (S2.11-S2.13); falls back to a full load."""
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
        except ValueError:
            return self.load(session_id)
        if not isinstance(record, dict) or any(k not in record for k in _REQUIRED_METADATA):
            return self.load(session_id)
        count = record.get("message_count")
        if not isinstance(count, int) or isinstance(count, bool):
            # An unknown count is never reported as 0 (S2.13): read the whole file instead.
            return self.load(session_id)
        # The user-message count and last message time are row values, never stored in the
        # file (S1.5): take them from this process's saves, else report the user count as
        # unknown (None, never 0) and the last activity as updated_at. No second file is read.
        with self._hints_lock:
            hints = self._row_hints.get(session_id) or (None, None)
        record["messages"] = []
        record["tool_calls"] = []
        session = Session.from_record(record, default_workspace=self.default_workspace)
        session.mark_partial(
            "metadata_only",
            message_count=count,
            user_message_count=hints[0],
            last_message_at=hints[1],
        )
        return session

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
        if self._writer_marker is not None:
            return
        name = f"{WRITERS_FOLDER}/{socket.gethostname()}.{os.getpid()}.json"
        self.folder.write(name, jsoncodec.dumps_line(
            {"host": socket.gethostname(), "pid": os.getpid(), "started_at": time.time()}))
        self._writer_marker = name

    def dead_writers(self) -> list[str]:
        """Markers of processes on this host that stopped without closing their store."""
        host = socket.gethostname()
        dead = []
        for name in self.folder.names(WRITERS_FOLDER):
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
                if stored is not None and _version_of(current) != stored.version:
                    merged, current = self._merge_with_stored(session, stored, record)
                    if merged is not None:
                        record = Session.from_record(
                            merged, default_workspace=self.default_workspace
                        ).to_record()
                payload = jsoncodec.dumps_pretty(record)
                self._protect_previous(session_id, len(record["messages"]), current.data)
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
                if not gate.shared or self.folder.version(name) == tag:
                    session.remember_stored((tag, zlib.crc32(payload[:_FIRST_READ])), payload)
            self._lift_tombstone(session_id)
        if not skip_index:
            row = session.compact()
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
    ) -> tuple[dict[str, Any] | None, Versioned]:
        """Another writer stored a version this copy has not seen: merge with it, or refuse.

        Returns the merged record (``None`` when there is nothing to merge with: the file is
        gone without a deletion, or does not parse and is kept aside by the save) and the
        stored version the write must replace.
        """
        session_id = session.session_id
        name = self.file_name(session_id)
        theirs = self.folder.read_with_version(name)
        if theirs.data is None:
            deleted_at = self.tombstones().get(session_id)
            if stored.version is not None and deleted_at is not None:
                self.conflicts += 1
                raise SessionConflict(
                    session_id, f"it was deleted (at {deleted_at:.3f}) after this copy was loaded",
                    loaded_version=stored.version[0], current_version=None,
                )
            return None, theirs  # removed by hand or never created: write it anew
        try:
            their_record = self._session_from(session_id, theirs.data).to_record()
        except SessionUnreadable:
            return None, theirs  # S2.18: the unreadable file is kept aside, then replaced
        try:
            merged = merge_records(
                stored.snapshot(), ours, their_record, session_id=session_id,
                versions=(stored.version[0] if stored.version else None, theirs.tag),
            )
        except SessionConflict:
            self.conflicts += 1
            raise
        logger.info("session %s: merged changes saved by another writer", session_id)
        return merged, theirs

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
            with self._stripe_files_lock:
                lock = self._stripe_files.get(stripe)
                if lock is None:
                    folder = self.folder.path(LOCKS_FOLDER)
                    os.makedirs(folder, exist_ok=True)
                    lock = FileLock(os.path.join(folder, f"{stripe:02d}.lock"), thread_local=False)
                    self._stripe_files[stripe] = lock
            with lock:  # counts holders: the copy's threads share one acquisition
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
        return all(record.get(key) == ours.get(key) for key in ("updated_at", "title", "message_count"))

    def _protect_previous(self, session_id: str, incoming: int, head: bytes | None) -> None:
        """Keep a corrupt previous file aside (S2.18) and back up a shrink (S2.17, S2.19).

        ``head`` is the first bytes of the file being replaced, read under the write lock.
        """
        name = self.file_name(session_id)
        if head is None:
            return
        existing_count = _recorded_count(head)
        if existing_count is not None and existing_count <= incoming:
            return  # growing or equal: the common case reads 4 KB and writes no backup
        previous = self.folder.read(name)
        if previous is None:
            return
        try:
            previous_record = jsoncodec.loads(previous)
        except ValueError:
            previous_record = None
        if not isinstance(previous_record, dict):
            aside = f"{name}.corrupt.{int(time.time())}"
            self.folder.write(aside, previous)
            logger.warning(
                "session file %s did not parse; kept its bytes as %s before saving",
                self.folder.path(name), aside,
            )
            return
        messages = previous_record.get("messages")
        previous_count = len(messages) if isinstance(messages, list) else 0
        if previous_count <= incoming:
            return
        try:
            if self._better_backup_exists(session_id, previous_count, previous_record):
                return
            self.folder.write(f"{session_id}{_BACKUP_SUFFIX}", previous)
        except StorageError as error:
            logger.warning("could not back up session %s before a shrink: %s", session_id, error)

    def _better_backup_exists(
        self, session_id: str, previous_count: int, previous_record: dict[str, Any]
    ) -> bool:
        """A backup of the same shrink generation holding more messages is kept (S2.19)."""
        data = self.folder.read(f"{session_id}{_BACKUP_SUFFIX}")
        if not data:
            return False
        try:
            backup = jsoncodec.loads(data)
        except ValueError:
            return False
        if not isinstance(backup, dict) or not isinstance(backup.get("messages"), list):
            return False
        same_generation = backup.get("intentional_shrink_generation") == previous_record.get(
            "intentional_shrink_generation"
        )
        return same_generation and len(backup["messages"]) > previous_count

    # ── tombstones ───────────────────────────────────────────────────────────────────────

    def tombstones(self) -> dict[str, float]:
        try:
            return parse_tombstones(self.folder.read(TOMBSTONES_FILE))
        except StorageError:
            return {}

    def _lift_tombstone(self, session_id: str) -> None:
        info = self.folder.info(TOMBSTONES_FILE)
        if info is None:
            return

        def lift(data: bytes | None) -> bytes | None:
            current = parse_tombstones(data)
            if session_id not in current:
                return None
            return jsoncodec.dumps_pretty(without_tombstone(current, session_id))

        # A conditional update: a deletion on another host meanwhile is never lost.
        self.folder.update(TOMBSTONES_FILE, lift)

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
            )
            existed = self.folder.remove(f"{session_id}{_BACKUP_SUFFIX}")
            existed = self.folder.remove(self.file_name(session_id)) or existed
        self.index.remove(session_id)
        with self._hints_lock:
            self._row_hints.pop(session_id, None)
        if self.fold_every_save:
            self._fold_for_close()
        return existed

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
            if self.index.pending_changes or self.folder.names(CHANGES_FOLDER):
                self.index.fold()
        snapshot = self.index.read()
        on_storage = self.session_ids_on_storage()
        if snapshot is None:
            return self.rebuild(on_storage, problems), problems
        keep = on_storage | set(in_memory_ids)
        rows = snapshot.rows
        for ghost in [sid for sid in rows if sid not in keep]:
            if row_exists is not None and row_exists(ghost):
                continue
            del rows[ghost]  # no file and no in-memory object (S2.8)
        stale = {sid for sid, row in rows.items() if "last_message_at" not in row}
        stale |= snapshot.damaged_ids & on_storage
        stale |= on_storage - rows.keys()
        for session_id in stale:
            row = self._row_from_file(session_id, problems)
            if row is None:
                rows.pop(session_id, None)
                continue
            rows[session_id] = row
            self.index.upsert(row)
        if stale and self.fold_every_save:
            self._fold_for_close()
        return list(rows.values()), problems

    def _row_from_file(self, session_id: str, problems: list[Problem]) -> dict[str, Any] | None:
        try:
            session = self.load(session_id)
        except SessionUnreadable as error:
            problems.append(
                Problem.from_exception("json_fs", "hermes_sessions_list_rows", error, path=error.path)
            )
            logger.warning("skipping unreadable session file: %s", error)
            return None
        return session.compact() if session is not None else None

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

    def close(self) -> None:
        """Fold pending index changes so ``_index.json`` alone is current for today's Web UI,
        then remove this process's writer marker: a clean shutdown."""
        try:
            self._fold_for_close()
        finally:
            if self._writer_marker is not None:
                try:
                    self.folder.remove(self._writer_marker)
                except OSError:
                    pass
                self._writer_marker = None

    def _fold_for_close(self) -> None:
        if not self.fold_every_save and not (
            self.index.pending_changes or self.folder.names(CHANGES_FOLDER)
        ):
            return
        existing = self.session_ids_on_storage if self.fold_every_save else None
        try:
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
