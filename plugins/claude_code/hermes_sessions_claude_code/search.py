"""Full-text search of Claude Code transcripts through an incremental local index (S9.5).

Transcripts are large JSONL files we may not change, so we keep our own FTS5 index at
``<state dir>/search/claude_code.sqlite``, keyed by each file's resolved path and its
``(mtime_ns, size)``: a search re-reads only files that changed since they were indexed and
drops the ones that vanished. The index is a cache: missing or corrupt, it is rebuilt and the
search says so. Positions count in the transcript as the host shows it (the most recent
``max_messages`` after a notice); a match in a left-out earlier message has no position.
Hits come in :func:`~hermes_sessions_core.search.rank_key` order straight from SQL, so the
first N hits of a longer search are the hits of a shorter one.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator

from hermes_sessions_core.hookspecs import SourceContext, hookimpl
from hermes_sessions_core.models import Problem, message_timestamp
from hermes_sessions_core.search import (
    MATCH_CONTENT,
    MATCH_TITLE,
    SearchHit,
    SearchQuery,
    SearchResults,
    first_in_rank_order,
    index_progress,
    limit_results,
    make_snippet,
    message_text,
    segment_for_index,
    title_score,
)
from hermes_sessions_core.search_files import (
    SearchIndexUnusable,
    discard_search_index,
    open_search_index,
    search_index_path,
)
from hermes_sessions_core.source_roots import (
    MachineFolders,
    folders_by_machine,
    search_by_machine,
)

from .discovery import TranscriptFile, discover
from .ids import id_for_resolved
from .machines import MIRRORED_PATTERNS
from .parse import parse_transcript
from .settings import ID_PREFIX, SOURCE_NAME, ClaudeCodeSettings

__all__ = [
    "hermes_sessions_search",
    "hermes_sessions_rebuild_search_index",
    "TranscriptIndex",
    "index_path_for",
]

logger = logging.getLogger(__name__)

_HOOK = "hermes_sessions_search"
_SCHEMA_VERSION = "1"
_BITS = 20
_MASK = (1 << _BITS) - 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files(
    key INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, title TEXT, total INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
    body, role UNINDEXED, ts UNINDEXED, tokenize='unicode61 remove_diacritics 2'
);
"""
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def index_path_for(context: SourceContext, machine: str | None = None) -> Path:
    """This machine's index, or ``claude_code@<machine>.sqlite`` beside it for another's
    (ids repeat across machines, so each machine's transcripts are indexed apart)."""
    path = search_index_path(context.locations, context.setting, SOURCE_NAME)
    return path if machine is None else path.with_name(f"{path.stem}@{machine}{path.suffix}")


def _machines(context: SourceContext) -> list[MachineFolders]:
    """Search reads the mirrors as the last listing left them (no round trip)."""
    settings = ClaudeCodeSettings.from_context(context)
    groups, _ = folders_by_machine(
        context, SOURCE_NAME, context.locations.claude_projects_roots(),
        patterns=MIRRORED_PATTERNS, max_files=settings.remote_max_files, sync=False,
    )
    return groups


def _index(context: SourceContext, folders: list[str], machine: str | None) -> TranscriptIndex:
    return TranscriptIndex(
        index_path_for(context, machine), folders, ClaudeCodeSettings.from_context(context),
    )


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # Claude Code sessions belong to no Web UI project
    progress = index_progress(context, SOURCE_NAME)
    return search_by_machine(
        _machines(context), ID_PREFIX,
        lambda folders, machine: _index(context, folders, machine).search(query, progress),
    )


@hookimpl
def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    return sum(
        _index(context, group.folders, group.machine).rebuild(progress)
        for group in _machines(context)
    )


_Unusable = SearchIndexUnusable


class TranscriptIndex:
    """The FTS5 index of every transcript under the Claude Code roots."""

    def __init__(self, path: Path, roots: Any, settings: ClaudeCodeSettings) -> None:
        self.path = path
        self.roots = tuple(roots)
        self.settings = settings
        with _locks_guard:
            self._lock = _locks.setdefault(str(path), threading.Lock())

    def _connect(self, create: bool) -> sqlite3.Connection:
        return open_search_index(self.path, _SCHEMA, _SCHEMA_VERSION, create=create)

    def _discard(self) -> None:
        discard_search_index(self.path)

    # ── keeping up with the files ────────────────────────────────────────────────────────

    def update(
        self, progress: Callable[[int, int], None] | None = None
    ) -> tuple[int, list[Problem]]:
        """Re-read changed or new transcripts, drop vanished ones;
        returns (files read, problems)."""
        found = discover(self.roots)
        problems = list(found.problems)
        current = {file.path: file for file in found.sessions}
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
                    self._forget(connection, key)
                for done, file in enumerate(changed, 1):
                    self._index_file(connection, file, known.get(file.path, (None,))[0], problems)
                    if progress is not None and done % 50 == 0:
                        progress(done, len(changed))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        if progress is not None:
            progress(len(changed), len(changed))
        return len(changed), problems

    @staticmethod
    def _forget(connection: sqlite3.Connection, key: int) -> None:
        base = key << _BITS
        connection.execute("DELETE FROM docs WHERE rowid BETWEEN ? AND ?", (base, base + _MASK))
        connection.execute("DELETE FROM files WHERE key = ?", (key,))

    def _index_file(
        self, connection: sqlite3.Connection, file: TranscriptFile, key: int | None,
        problems: list[Problem],
    ) -> None:
        if key is not None:
            self._forget(connection, key)
        try:
            parsed = parse_transcript(file, self.settings)
        except OSError as error:
            problems.append(Problem.from_exception(SOURCE_NAME, _HOOK, error, path=file.path))
            return
        title = (parsed.summary.title or "") if parsed.has_conversation else ""
        cursor = connection.execute(
            "INSERT INTO files(path, session_id, mtime_ns, size, title, total) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (file.path, id_for_resolved(file.path), file.mtime_ns, file.size, title,
             len(parsed.messages)),
        )
        base = int(cursor.lastrowid or 0) << _BITS
        if not parsed.has_conversation:
            return  # remembered with its stat, so it is not parsed again until it changes
        if title:
            connection.execute(
                "INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, NULL, ?)",
                (base, segment_for_index(title), parsed.summary.last_at),
            )
        rows = []
        for position, message in enumerate(parsed.messages[: _MASK - 1]):
            if message.get("kind") == "notice":
                continue  # our own words about what was left out, not the conversation
            text = message_text(message)
            if text.strip():
                rows.append((base + position + 1, segment_for_index(text), message.get("role"),
                             message_timestamp(message)))
        connection.executemany("INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, ?, ?)", rows)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every transcript afresh (``hermes-sessions reindex``)."""
        self._discard()
        return self.update(progress)[0]

    # ── searching ────────────────────────────────────────────────────────────────────────

    def search(
        self, query: SearchQuery, progress: Callable[[int, int], None] | None = None
    ) -> SearchResults:
        """Hits for ``query`` after catching up with changed transcripts (``progress`` is
        told how that goes: the first search of a large folder reads every file)."""
        notes: list[Problem] = []
        try:
            _, problems = self.update(progress)
            hits = self._query(query)
        except (_Unusable, sqlite3.DatabaseError) as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            existed = self.path.exists()
            self._discard()
            count, problems = self.update(progress)
            if existed or count:
                what = f"could not be used ({error})" if existed else "was missing"
                notes.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchIndexRebuilt",
                    f"the Claude Code search index {what}; rebuilt it from {count} transcript(s)",
                    path=str(self.path),
                ))
            hits = self._query(query)
        return limit_results(query, hits, [*problems, *notes], SOURCE_NAME)

    def _query(self, query: SearchQuery) -> list[SearchHit]:
        conditions = ["docs MATCH ?"]
        values: list[Any] = [query.fts5_expression()]
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
        window = self.settings.max_messages

        def hits(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[str, SearchHit]]:
            for score, session_id, title, total, stamp, role, body, slot in rows:
                position: int | None = None
                if slot:
                    position = slot - 1
                    if total > window:  # the host shows a notice, then the last `window` messages
                        position = position - (total - window) + 1
                        position = position if position >= 1 else None
                yield body or "", SearchHit(
                    session_id=session_id, source=SOURCE_NAME, snippet="",
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
