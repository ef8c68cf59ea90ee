"""A local SQLite FTS5 index of the Web UI session files, for full-text search (S9.5).

The files stay the only truth: the index lives apart from them
(``<state dir>/search/json_fs-<hash of the sessions URL>.sqlite``, a local file even for
``s3://`` stores, ``0600`` in a ``0700`` folder because it copies every message), is updated
after each save and delete, and can be rebuilt from the files at any time. A missing or
corrupt index is rebuilt by the next search, which says so in its problems; a failed index
write never fails a save (the index is marked stale and the next search catches up by
comparing each file's inode, size and mtime with what was indexed).

Layout: ``sessions`` holds one row per indexed session (filters, file fingerprint, per-message
hashes); the FTS5 table ``docs`` holds the title (rowid ``key << 20``) and each message
(rowid ``key << 20 | position + 1``), so one session's documents are a rowid range.

Hits come in :func:`~hermes_sessions_core.search.rank_key` order straight from SQL (titles by
:func:`~hermes_sessions_core.search.title_score`, then messages by score, time, id and
position), so the first N hits of a longer search are the hits of a shorter one.
"""

from __future__ import annotations

import array
import hashlib
import logging
import math
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Mapping
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.models import Problem, is_valid_session_id, message_timestamp
from hermes_sessions_core.search import (
    MATCH_CONTENT,
    MATCH_TITLE,
    IndexProgress,
    SearchHit,
    SearchQuery,
    SearchResults,
    first_in_rank_order,
    index_progress,
    make_snippet,
    message_text,
    segment_for_index,
    title_score,
)
from hermes_sessions_core.search_files import (
    SearchIndexUnusable,
    discard_search_index,
    open_search_index,
    search_index_folder,
)
from hermes_sessions_core.times import to_epoch

from .registry import SOURCE_NAME, session_files_for

if TYPE_CHECKING:
    from hermes_sessions_core.models import Session

    from .session_files import SessionFiles

__all__ = ["SearchIndex", "search_index_for", "index_path_for", "SCHEMA_VERSION"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
_HOOK = "hermes_sessions_search"
_POSITION_BITS = 20
_POSITION_MASK = (1 << _POSITION_BITS) - 1
#: Messages past this position are not indexed (rowids reserve 20 bits per session).
MAX_INDEXED_MESSAGES = _POSITION_MASK - 1
#: Seconds between checks for files changed by another program (the original Web UI).
DEFAULT_SYNC_SECONDS = 30.0
_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sessions(
    key INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    title TEXT,
    profile TEXT NOT NULL,
    project_id TEXT,
    archived INTEGER NOT NULL,
    updated_at REAL,
    fingerprint TEXT,
    hashes BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
    body, role UNINDEXED, ts UNINDEXED, tokenize='unicode61 remove_diacritics 2'
);
"""

_lock = threading.Lock()
_open: dict[str, SearchIndex] = {}


def index_path_for(context: SourceContext) -> Path:
    """Where the calling store's index lives: under its state dir, named for its sessions URL."""
    locations = context.locations
    configured = context.setting(SOURCE_NAME, "search_index_path", None)
    if configured:
        return Path(configured)
    digest = hashlib.sha1(locations.sessions_url.encode("utf-8")).hexdigest()[:12]
    return search_index_folder(locations) / f"json_fs-{digest}.sqlite"


def search_index_for(context: SourceContext) -> SearchIndex:
    """The index of the calling store's session folder (one object per index file)."""
    path = index_path_for(context)
    files = session_files_for(context)
    interval = float(context.setting(SOURCE_NAME, "search_sync_seconds", DEFAULT_SYNC_SECONDS))
    key = str(path)
    private_folder = path.parent == search_index_folder(context.locations)
    with _lock:
        index = _open.get(key)
        if index is None or index.files is not files:
            if index is not None:
                index.close()
            index = _open[key] = SearchIndex(path, files, interval, private_folder)
            files.when_closed(index.close)
        index.sync_seconds = interval
        index.progress = index_progress(context, SOURCE_NAME)
        return index


class _Document:
    """What the index keeps of one session, from a Session object or a file's record."""

    __slots__ = (
        "session_id", "title", "profile", "project_id", "archived", "updated_at", "messages",
    )

    def __init__(self, session_id: str, fields: Callable[[str], Any]) -> None:
        self.session_id = session_id
        title = fields("title")
        self.title = title if isinstance(title, str) else ""
        self.profile = str(fields("profile") or "default")
        project = fields("project_id")
        self.project_id = str(project) if project else None
        self.archived = 1 if fields("archived") else 0
        self.updated_at = to_epoch(fields("updated_at"))
        messages = fields("messages")
        self.messages: list[Any] = messages if isinstance(messages, list) else []


def _hashes(texts: list[tuple[str, str]]) -> array.array[int]:
    return array.array("I", (
        zlib.crc32(text.encode("utf-8", "replace"), zlib.crc32(role.encode()))
        for role, text in texts
    ))


IndexUnusable = SearchIndexUnusable  # the index must be rebuilt

_SQLITE_FILES = ("", "-wal", "-shm")
#: Connections inherited from the parent process: never used nor closed in the child.
_inherited: list[sqlite3.Connection] = []


def _local_fingerprint(result: os.stat_result) -> str:
    """``inode:mtime:size``: every save writes a new inode, so two saves within one tick of a
    coarse clock that leave the same size still differ (a lost index commit is noticed)."""
    return f"{result.st_ino}:{result.st_mtime_ns}:{result.st_size}"


def _same_file(indexed: str | None, found: str) -> bool:
    """Whether a file's fingerprint is the indexed one; rows indexed before the inode was
    part of it (``mtime:size``, one colon) match on those two, so no upgrade re-reads all."""
    if indexed == found:
        return True
    return indexed is not None and indexed.count(":") == 1 and (
        found.split(":", 1)[1] == indexed and found.count(":") == 2
    )


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


class _Writer:
    """A long-lived write connection and the files it was last seen using.

    While a connection is open no other SQLite connection deletes or replaces its WAL and
    shared-memory files, so finding them changed means someone removed them by hand: the
    index then raises IndexUnusable (rebuilt by the next search) and the connection is left
    open until the files are discarded, because closing it would checkpoint its old WAL into
    the database file. A database file replaced or removed (another process's rebuild) just
    means a new connection; SQLite does not checkpoint into a moved file on close.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.pid = os.getpid()
        self._names = tuple(f"{path}{suffix}" for suffix in _SQLITE_FILES)
        self._files: tuple[tuple[int, int] | None, ...] = (_identity(self._names[0]), None, None)

    def note_files(self) -> None:
        """Remember the WAL and shared-memory files, which exist once it has written."""
        if None in self._files:
            self._files = tuple(_identity(name) for name in self._names)

    def usable(self) -> bool:
        """Whether this connection still writes the file at its path (three ``lstat``)."""
        if self.pid != os.getpid():
            return False  # forked: SQLite connections must not cross a fork
        current = tuple(_identity(name) for name in self._names)
        if current[0] is None or current[0] != self._files[0]:
            return False
        for seen, now in zip(self._files[1:], current[1:]):
            if seen is not None and now != seen:
                raise IndexUnusable(f"search index {self._names[0]}: its WAL was removed")
        return True

    def close(self) -> None:
        if self.pid != os.getpid():
            _inherited.append(self.connection)
            return
        try:
            self.connection.close()
        except sqlite3.Error as error:
            logger.warning("could not close the search index %s: %s", self._names[0], error)


class SearchIndex:
    """The FTS5 index of one session folder, safe across threads; several processes may share
    the file (WAL).

    Writes (saves, deletes, syncs) share one connection under a lock, kept open until
    :meth:`close`: opening one per save cost a fifth of the save (a schema check, a new WAL
    with two fsyncs). Before each use the connection is checked against the files at its
    path (see :class:`_Writer`). Searches open a connection of their own.

    No save waits for a disk sync here: commits go to the WAL unsynced (``synchronous=NORMAL``,
    which survives a killed process) and SQLite checkpoints on its own every 1,000 pages. A
    power cut may roll back the last commits, and that heals itself: the index is derived
    data, and the first search of every process compares each file's fingerprint (inode,
    mtime, size) with the indexed one, so a session whose commit was lost is indexed again.
    """

    def __init__(
        self, path: Path, files: SessionFiles, sync_seconds: float = DEFAULT_SYNC_SECONDS,
        private_folder: bool = False,
    ):
        self.path = path
        self.files = files
        self.private_folder = private_folder  # the default folder: ours alone, kept 0700
        self.sync_seconds = sync_seconds
        self.stale = False
        #: Told how a search's catch-up goes (the CLI's bar); None for hosts that never ask.
        self.progress: IndexProgress | None = None
        self._last_sync = -math.inf  # the first search of a process always catches up
        self._write_lock = threading.Lock()
        self._writer: _Writer | None = None

    # ── connections ──────────────────────────────────────────────────────────────────────

    def _connect(self, create: bool) -> sqlite3.Connection:
        return open_search_index(
            self.path, _SCHEMA, SCHEMA_VERSION, create=create, synchronous_normal=True,
            private_folder=self.private_folder,
        )

    @contextmanager
    def _writing(self, create: bool) -> Iterator[sqlite3.Connection]:
        """The shared write connection, held alone; opened when missing or no longer the
        one for the file at :attr:`path`. Raises IndexUnusable as :meth:`_connect` does."""
        with self._write_lock:
            writer = self._writer
            if writer is not None and not writer.usable():
                writer.close()
                writer = self._writer = None
            if writer is None:
                connection = self._connect(create)
                # A new index's schema goes into the database file at once, so the file alone
                # is a valid index whatever becomes of its WAL (PASSIVE: never waits).
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                writer = self._writer = _Writer(connection, self.path)
            yield writer.connection
            writer.note_files()

    def close(self) -> None:
        """Close the write connection (the store closes); the next write opens one again."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def _discard(self) -> None:
        """Delete an unusable index file (and its WAL) so it can be built afresh.

        The files go first: a connection closed after that finds its file moved, so SQLite
        neither checkpoints into nor deletes the files made afresh at that path.
        """
        with self._write_lock:
            discard_search_index(self.path)
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    # ── writing ──────────────────────────────────────────────────────────────────────────

    def session_saved(self, session: Session) -> None:
        """Index a just-saved session. Never raises: a failure marks the index stale."""
        document = _Document(session.session_id, lambda name: getattr(session, name, None))
        fingerprint = self._fingerprint_of(session.session_id)
        try:
            with self._writing(create=True) as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    self._put(connection, document, fingerprint)
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
        except Exception as error:
            self._mark_stale(f"could not index session {session.session_id!r}", error)

    def session_deleted(self, session_id: str) -> None:
        """Drop a deleted session from the index. Never raises: a failure marks it stale."""
        if not self.path.is_file():
            return
        try:
            with self._writing(create=False) as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    self._remove(connection, session_id)
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
        except Exception as error:
            self._mark_stale(f"could not remove session {session_id!r} from the index", error)

    def _mark_stale(self, what: str, error: BaseException) -> None:
        self.stale = True
        logger.warning("%s in %s (%s); the next search will catch up", what, self.path, error)

    def _fingerprint_of(self, session_id: str) -> str | None:
        folder = self.files.folder
        if not folder.is_local:
            return None  # unknown until the next listing; the next sync re-reads it once
        try:
            result = os.stat(folder.path(self.files.file_name(session_id)))
        except OSError:
            return None
        return _local_fingerprint(result)

    def _put(
        self, connection: sqlite3.Connection, document: _Document, fingerprint: str | None
    ) -> None:
        """Insert or update one session, rewriting only messages from the first changed one."""
        texts = [
            (str(m.get("role") or "") if isinstance(m, Mapping) else "", message_text(m))
            for m in document.messages[:MAX_INDEXED_MESSAGES]
        ]
        hashes = _hashes(texts)
        row = connection.execute(
            "SELECT key, title, hashes FROM sessions WHERE session_id = ?", (document.session_id,)
        ).fetchone()
        if row is None:
            cursor = connection.execute(
                "INSERT INTO sessions(session_id, title, profile, project_id, archived, updated_at,"
                " fingerprint, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (document.session_id, document.title, document.profile, document.project_id,
                 document.archived, document.updated_at, fingerprint, hashes.tobytes()),
            )
            key = int(cursor.lastrowid or 0)
            old_title: str | None = None
            first_changed = 0
            old_count = 0
        else:
            key, old_title = int(row[0]), row[1]
            old = array.array("I")
            old.frombytes(row[2] or b"")
            old_count = len(old)
            first_changed = 0
            limit = min(len(old), len(hashes))
            while first_changed < limit and old[first_changed] == hashes[first_changed]:
                first_changed += 1
            connection.execute(
                "UPDATE sessions SET title = ?, profile = ?, project_id = ?, archived = ?,"
                " updated_at = ?, fingerprint = ?, hashes = ? WHERE key = ?",
                (document.title, document.profile, document.project_id, document.archived,
                 document.updated_at, fingerprint, hashes.tobytes(), key),
            )
        base = key << _POSITION_BITS
        if old_title != document.title or row is None:
            if row is not None:  # a new key has no documents: _remove drops a key's whole range
                connection.execute("DELETE FROM docs WHERE rowid = ?", (base,))
            if document.title:
                connection.execute(
                    "INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, NULL, ?)",
                    (base, segment_for_index(document.title), document.updated_at),
                )
        if first_changed < old_count:
            connection.execute(
                "DELETE FROM docs WHERE rowid BETWEEN ? AND ?",
                (base + first_changed + 1, base + _POSITION_MASK),
            )
        connection.executemany(
            "INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, ?, ?)",
            (
                (base + position + 1, segment_for_index(text), role or None,
                 message_timestamp(document.messages[position]))
                for position, (role, text) in enumerate(texts)
                if position >= first_changed and text.strip()
            ),
        )

    def _remove(self, connection: sqlite3.Connection, session_id: str) -> None:
        row = connection.execute(
            "SELECT key FROM sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        if row is None:
            return
        base = int(row[0]) << _POSITION_BITS
        connection.execute(
            "DELETE FROM docs WHERE rowid BETWEEN ? AND ?", (base, base + _POSITION_MASK)
        )
        connection.execute("DELETE FROM sessions WHERE key = ?", (row[0],))

    # ── catching up with the files ───────────────────────────────────────────────────────

    def _files_on_storage(self) -> dict[str, str | None]:
        """Every session file's id and fingerprint (inode, mtime and size), in one listing."""
        folder = self.files.folder
        found: dict[str, str | None] = {}
        if folder.is_local:
            try:
                with os.scandir(folder.root) as entries:
                    for entry in entries:
                        name = entry.name
                        if not name.endswith(".json") or name.startswith("_"):
                            continue
                        session_id = name[:-5]
                        if not is_valid_session_id(session_id):
                            continue
                        try:
                            result = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        found[session_id] = _local_fingerprint(result)
            except (FileNotFoundError, NotADirectoryError):
                return {}
            return found
        try:
            folder.filesystem.invalidate_cache(folder.root)
            listed = folder.filesystem.ls(folder.root, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return {}
        for details in listed:
            name = str(details.get("name", "")).rstrip("/").rsplit("/", 1)[-1]
            if not name.endswith(".json") or name.startswith("_"):
                continue
            session_id = name[:-5]
            if is_valid_session_id(session_id):
                stamp = (
                    details.get("mtime") or details.get("LastModified") or details.get("created")
                )
                tag = details.get("ETag") or details.get("etag") or ""
                found[session_id] = f"{stamp}:{details.get('size')}:{tag}"
        return found

    def _read_document(self, session_id: str) -> _Document | None:
        try:
            data = self.files.folder.read(self.files.file_name(session_id))
        except (StorageError, OSError) as error:
            logger.warning("search index: cannot read session %s: %s", session_id, error)
            return None
        if data is None:
            return None
        try:
            record = jsoncodec.loads(data)
        except ValueError:
            return None  # unreadable files are reported by the listing, not here
        if not isinstance(record, dict):
            return None
        return _Document(session_id, record.get)

    def sync(self, progress: Callable[[int, int], None] | None = None, full: bool = False) -> int:
        """Index files whose inode, size or mtime changed since they were indexed; drop the
        vanished ones.

        With ``full`` every file is read again. Returns how many sessions were (re)indexed.
        """
        on_storage = self._files_on_storage()
        with self._writing(create=True) as connection:
            if full:
                connection.execute("DELETE FROM docs")
                connection.execute("DELETE FROM sessions")
            indexed = dict(connection.execute("SELECT session_id, fingerprint FROM sessions"))
            gone = [sid for sid in indexed if sid not in on_storage]
            changed = sorted(
                sid for sid, print_ in on_storage.items()
                if sid not in indexed or print_ is None or not _same_file(indexed[sid], print_)
            )
            total = len(changed)
            if progress is not None:
                progress(0, total)
            connection.execute("BEGIN IMMEDIATE")
            try:
                for session_id in gone:
                    self._remove(connection, session_id)
                for done, session_id in enumerate(changed, 1):
                    document = self._read_document(session_id)
                    if document is None:
                        self._remove(connection, session_id)
                    else:
                        self._put(connection, document, on_storage[session_id])
                    if done % _BATCH == 0:
                        connection.execute("COMMIT")
                        if progress is not None:
                            progress(done, total)
                        connection.execute("BEGIN IMMEDIATE")
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            if full or total > 10 * _BATCH:
                connection.execute("INSERT INTO docs(docs) VALUES ('optimize')")
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            if progress is not None:
                progress(total, total)
        self.stale = False
        self._last_sync = time.monotonic()
        return total

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Build the index afresh from every session file (``hermes-sessions reindex``)."""
        self._discard()
        return self.sync(progress, full=True)

    # ── searching ────────────────────────────────────────────────────────────────────────

    def search(self, query: SearchQuery) -> SearchResults:
        """Hits for ``query``; a missing, stale or corrupt index is brought up to date first."""
        problems: list[Problem] = []
        try:
            self._ensure_current(problems)
            hits = self._query(query)
        except IndexUnusable as error:
            hits = self._recover(query, error, problems)
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            hits = self._recover(query, error, problems)
        return SearchResults(tuple(hits), tuple(problems), (SOURCE_NAME,))

    def _recover(
        self, query: SearchQuery, error: BaseException, problems: list[Problem]
    ) -> list[SearchHit]:
        missing = not self.path.exists()
        self._discard()
        count = self.sync(self.progress)
        what = "was missing" if missing else f"could not be used ({error})"
        problems.append(Problem(
            SOURCE_NAME, _HOOK, "SearchIndexRebuilt",
            f"the search index {what}; rebuilt it from {count} session file(s)",
            path=str(self.path),
        ))
        logger.warning("json_fs search index %s %s; rebuilt from %d files", self.path, what, count)
        return self._query(query)

    def _ensure_current(self, problems: list[Problem]) -> None:
        if not self.path.is_file():
            raise IndexUnusable("missing")
        due = time.monotonic() - self._last_sync >= self.sync_seconds
        if self.stale or due:
            was_stale = self.stale
            count = self.sync(self.progress)
            if was_stale:
                problems.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchIndexStale",
                    f"an earlier index update had failed; re-indexed {count} changed session(s)",
                    path=str(self.path),
                ))

    def _query(self, query: SearchQuery) -> list[SearchHit]:
        conditions = ["docs MATCH ?"]
        values: list[Any] = [query.fts5_expression()]
        if query.profiles:
            conditions.append(f"s.profile IN ({', '.join('?' * len(query.profiles))})")
            values.extend(query.profiles)
        if query.project_id is not None:
            conditions.append("s.project_id = ?")
            values.append(query.project_id)
        if not query.include_archived:
            conditions.append("s.archived = 0")
        if query.since is not None:
            conditions.append("COALESCE(docs.ts, s.updated_at) >= ?")
            values.append(query.since)
        if query.until is not None:
            conditions.append("COALESCE(docs.ts, s.updated_at) <= ?")
            values.append(query.until)
        # Titles first (scored in Python: every source scores titles alike), then messages in
        # rank_key order: score, newest, session id, position. SQLite computes the score the
        # way relevance_score() does, so both orders agree to the last bit.
        sql = (
            "SELECT docs.rowid, max(0.0, -bm25(docs)) / (1.0 + max(0.0, -bm25(docs))) AS score,"
            " s.session_id, s.title, s.profile, COALESCE(docs.ts, s.updated_at) AS stamp,"
            f" docs.role, docs.rowid & {_POSITION_MASK} AS slot"
            f" FROM docs JOIN sessions s ON s.key = (docs.rowid >> {_POSITION_BITS})"
            f" WHERE {' AND '.join(conditions)}"
            " ORDER BY slot != 0, score DESC, stamp DESC, s.session_id, slot"
        )
        with closing(self._connect(create=False)) as connection:
            chosen = self._best(connection.execute(sql, values), query)
            bodies = dict(connection.execute(
                f"SELECT rowid, body FROM docs WHERE rowid IN ({', '.join('?' * len(chosen))})",
                [rowid for rowid, _ in chosen],
            )) if chosen else {}
        hits = []
        for rowid, hit in chosen:
            snippet, ranges = make_snippet(bodies.get(rowid, ""), query)
            hits.append(replace(hit, snippet=snippet, highlights=ranges))
        return hits

    @staticmethod
    def _best(rows: Iterable[tuple[Any, ...]], query: SearchQuery) -> list[tuple[int, SearchHit]]:
        """The first hits in rank order, each with its rowid (snippets are made for these only)."""

        def hits() -> Iterator[tuple[int, SearchHit]]:
            for rowid, score, session_id, title, profile, stamp, role, slot in rows:
                yield rowid, SearchHit(
                    session_id=session_id, source=SOURCE_NAME, snippet="",
                    score=title_score(title or "", query) if slot == 0 else float(score),
                    match_type=MATCH_TITLE if slot == 0 else MATCH_CONTENT,
                    position=None if slot == 0 else slot - 1, title=title,
                    role=None if slot == 0 else role, timestamp=stamp, profile=profile,
                )

        return first_in_rank_order(hits(), query)
