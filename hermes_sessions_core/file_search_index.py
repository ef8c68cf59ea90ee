"""An incremental FTS5 index over a source's transcript files, for sources that may not change
the files their sessions live in (Claude Code, Codex, Gemini CLI).

The index is a cache kept beside our state (:mod:`.search_files` opens and discards it): each
indexed file is remembered by its path and ``(mtime_ns, size)``, so a search re-reads only the
files that changed since they were indexed and drops the ones that vanished; missing, from
another schema version or corrupt, the index is rebuilt and the search says so. A source gives
what is its own: how it finds its files and how it reads one into an :class:`IndexedTranscript`.

Each file's messages are numbered in the transcript the host shows: its position in
``IndexedTranscript.messages``, then, past ``max_messages``, counted after the host's notice,
so a match in a left-out earlier message has no position. Hits come in
:func:`~hermes_sessions_core.search.rank_key` order straight from SQL, so the first N hits of a
longer search are the hits of a shorter one.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass, replace
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Generic,
    Iterable,
    Iterator,
    Protocol,
    Sequence,
    TypeVar,
)

from .models import Problem, message_timestamp
from .search import (
    MATCH_CONTENT,
    MATCH_TITLE,
    SearchHit,
    SearchQuery,
    SearchResults,
    first_in_rank_order,
    limit_results,
    make_snippet,
    message_text,
    segment_for_index,
    title_score,
)
from .search_files import SearchIndexUnusable, discard_search_index, open_search_index

if TYPE_CHECKING:
    from pathlib import Path

    from .search import IndexProgress

__all__ = [
    "IndexableFile",
    "IndexedSource",
    "IndexedTranscript",
    "NOT_SEARCHED",
    "FileTranscriptIndex",
]

#: The layout below; stored with the source's own ``schema_version`` so a change to either
#: makes every old index rebuild.
_LAYOUT_VERSION = "2"
_HOOK = "hermes_sessions_search"
#: A document's rowid is the file's key shifted left, plus its slot: 0 for the title, then
#: 1 + the message's position.
_BITS = 20
_MASK = (1 << _BITS) - 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    key INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, title TEXT, total INTEGER NOT NULL,
    rank REAL NOT NULL DEFAULT 0, shadowed INTEGER NOT NULL DEFAULT 0
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
    body, role UNINDEXED, ts UNINDEXED, tokenize='unicode61 remove_diacritics 2'
);
"""
#: How many files are read between two progress reports.
_PROGRESS_EVERY = 50
#: One lock per index file, shared by every index object of it in this process.
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class IndexableFile(Protocol):
    """A discovered file, as far as the index reads it (the sources' named tuples)."""

    @property
    def path(self) -> str: ...

    @property
    def mtime_ns(self) -> int: ...

    @property
    def size(self) -> int: ...


FileT = TypeVar("FileT", bound=IndexableFile)


@dataclass(frozen=True)
class IndexedSource:
    """What an index says about its source: the name on hits and problems, how problems name
    it and its files (``"the Codex search index ... 3 rollout(s)"``), and its own schema
    version, bumped when what it reads into the index changes.

    ``one_file_per_session``: where several files hold one session id, only the one with the
    highest :attr:`IndexedTranscript.rank` (the one the listing shows) is searched.
    """

    name: str
    label: str
    file_noun: str
    schema_version: str
    one_file_per_session: bool = False


@dataclass(frozen=True)
class IndexedTranscript:
    """What one file adds to the index.

    ``session_id`` is ``""`` for a file that holds no listed session: it is remembered with
    its stat, so it is not read again until it changes, and never found. ``messages`` are the
    transcript's messages in the host's form (role, timestamp, content); a position counts
    every one of them, but empty ones and the host's own ``kind: "notice"`` messages (what was
    left out) are not indexed. The title is searched when not empty, at ``last_at``.
    """

    session_id: str
    title: str = ""
    last_at: float | None = None
    messages: Sequence[dict[str, Any]] = ()
    rank: float = 0.0


#: A file that is remembered but holds nothing to search.
NOT_SEARCHED = IndexedTranscript(session_id="")


class FileTranscriptIndex(Generic[FileT]):
    """The FTS5 index at ``path`` of the files ``discover`` finds, each read by ``read``.

    ``discover`` returns the files found now and the problems met finding them; ``read`` may
    raise :class:`OSError`, reported as a problem naming the file (which is tried again on the
    next search). ``max_messages`` is how many of a transcript's last messages the host shows.
    """

    def __init__(
        self,
        path: Path,
        source: IndexedSource,
        discover: Callable[[], tuple[Iterable[FileT], Iterable[Problem]]],
        read: Callable[[FileT], IndexedTranscript],
        max_messages: int,
    ) -> None:
        self.path = path
        self.source = source
        self._discover = discover
        self._read = read
        self.max_messages = max_messages
        with _locks_guard:
            self._lock = _locks.setdefault(str(path), threading.Lock())

    def _connect(self, create: bool) -> sqlite3.Connection:
        version = f"{_LAYOUT_VERSION}.{self.source.schema_version}"
        return open_search_index(self.path, _SCHEMA, version, create=create)

    # ── keeping up with the files ────────────────────────────────────────────────────────

    def update(self, progress: IndexProgress | None = None) -> tuple[int, list[Problem]]:
        """Re-read changed or new files, drop vanished ones; returns (files read, problems)."""
        files, found_problems = self._discover()
        problems = list(found_problems)
        current = {file.path: file for file in files}
        with self._lock, closing(self._connect(create=True)) as connection:
            known = {path: (key, mtime, size) for key, path, mtime, size in connection.execute(
                "SELECT key, path, mtime_ns, size FROM files")}
            changed = [f for p, f in sorted(current.items())
                       if p not in known or known[p][1:] != (f.mtime_ns, f.size)]
            gone = [known[p][0] for p in known if p not in current]
            if progress is not None:
                progress(0, len(changed))
            connection.execute("BEGIN IMMEDIATE")
            try:
                for key in gone:
                    _forget(connection, key)
                for done, file in enumerate(changed, 1):
                    self._index_file(connection, file, known.get(file.path, (None,))[0], problems)
                    if progress is not None and done % _PROGRESS_EVERY == 0:
                        progress(done, len(changed))
                if self.source.one_file_per_session and (changed or gone):
                    _mark_shadowed(connection)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        if progress is not None:
            progress(len(changed), len(changed))
        return len(changed), problems

    def _index_file(
        self, connection: sqlite3.Connection, file: FileT, key: int | None,
        problems: list[Problem],
    ) -> None:
        if key is not None:
            _forget(connection, key)
        try:
            transcript = self._read(file)
        except OSError as error:
            problems.append(Problem.from_exception(self.source.name, _HOOK, error, path=file.path))
            return
        cursor = connection.execute(
            "INSERT INTO files(path, session_id, mtime_ns, size, title, total, rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file.path, transcript.session_id, file.mtime_ns, file.size, transcript.title,
             len(transcript.messages), transcript.rank),
        )
        if not transcript.session_id:
            return
        base = int(cursor.lastrowid or 0) << _BITS
        if transcript.title:
            connection.execute(
                "INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, NULL, ?)",
                (base, segment_for_index(transcript.title), transcript.last_at),
            )
        rows = []
        for position, message in enumerate(transcript.messages[: _MASK - 1]):
            if message.get("kind") == "notice":
                continue  # our own words about what was left out, not the conversation
            text = message_text(message)
            if text.strip():
                rows.append((base + position + 1, segment_for_index(text), message.get("role"),
                             message_timestamp(message)))
        connection.executemany("INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, ?, ?)", rows)

    def rebuild(self, progress: IndexProgress | None = None) -> int:
        """Index every file afresh (``hermes-sessions reindex``); returns the files read."""
        discard_search_index(self.path)
        return self.update(progress)[0]

    # ── searching ────────────────────────────────────────────────────────────────────────

    def search(self, query: SearchQuery, progress: IndexProgress | None = None) -> SearchResults:
        """Hits for ``query`` after catching up with changed files (``progress`` is told how
        that goes: the first search of a large folder reads every file)."""
        notes: list[Problem] = []
        try:
            _, problems = self.update(progress)
            hits = self._query(query)
        except (SearchIndexUnusable, sqlite3.DatabaseError) as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise  # another process is writing it: the index is fine
            existed = self.path.exists()
            discard_search_index(self.path)
            count, problems = self.update(progress)
            if existed or count:
                what = f"could not be used ({error})" if existed else "was missing"
                notes.append(Problem(
                    self.source.name, _HOOK, "SearchIndexRebuilt",
                    f"the {self.source.label} search index {what}; rebuilt it from {count} "
                    f"{self.source.file_noun}(s)",
                    path=str(self.path),
                ))
            hits = self._query(query)
        return limit_results(query, hits, [*problems, *notes], self.source.name)

    def _query(self, query: SearchQuery) -> list[SearchHit]:
        conditions = ["docs MATCH ?"]
        values: list[Any] = [query.fts5_expression()]
        if self.source.one_file_per_session:
            conditions.append("f.shadowed = 0")
        if query.since is not None:
            conditions.append("docs.ts >= ?")
            values.append(query.since)
        if query.until is not None:
            conditions.append("docs.ts <= ?")
            values.append(query.until)
        # Titles first (scored in Python, as every source scores them), then messages in
        # rank_key order; SQLite computes the score exactly as relevance_score() does.
        sql = (
            "SELECT max(0.0, -bm25(docs)) / (1.0 + max(0.0, -bm25(docs))) AS score,"
            f" f.session_id, f.title, f.total, docs.ts, docs.role, docs.body,"
            f" docs.rowid & {_MASK} AS slot"
            f" FROM docs JOIN files f ON f.key = (docs.rowid >> {_BITS})"
            f" WHERE {' AND '.join(conditions)}"
            " ORDER BY slot != 0, score DESC, docs.ts DESC, f.session_id, slot"
        )
        window = self.max_messages
        source = self.source.name

        def hits(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[str, SearchHit]]:
            for score, session_id, title, total, stamp, role, body, slot in rows:
                position: int | None = None
                if slot:
                    position = slot - 1
                    if total > window:  # the host shows a notice, then the last `window` messages
                        position = position - (total - window) + 1
                        position = position if position >= 1 else None
                yield body or "", SearchHit(
                    session_id=session_id, source=source, snippet="",
                    score=float(score) if slot else title_score(title or "", query),
                    match_type=MATCH_CONTENT if slot else MATCH_TITLE, position=position,
                    title=title, role=role, timestamp=stamp, profile=None,
                )

        with closing(self._connect(create=False)) as connection:
            chosen = first_in_rank_order(hits(connection.execute(sql, values)), query)
        found = []
        for body, hit in chosen:
            snippet, ranges = make_snippet(body, query)
            found.append(replace(hit, snippet=snippet, highlights=ranges))
        return found


def _forget(connection: sqlite3.Connection, key: int) -> None:
    base = key << _BITS
    connection.execute("DELETE FROM docs WHERE rowid BETWEEN ? AND ?", (base, base + _MASK))
    connection.execute("DELETE FROM files WHERE key = ?", (key,))


def _mark_shadowed(connection: sqlite3.Connection) -> None:
    """Of files sharing a session id, all but the highest ranked are shadowed (as in listing;
    the later key breaks a tie)."""
    connection.execute("UPDATE files SET shadowed = 0")
    connection.execute(
        "UPDATE files SET shadowed = 1 WHERE session_id != '' AND EXISTS ("
        " SELECT 1 FROM files other WHERE other.session_id = files.session_id"
        " AND other.key != files.key AND (other.rank > files.rank"
        " OR (other.rank = files.rank AND other.key > files.key)))"
    )
