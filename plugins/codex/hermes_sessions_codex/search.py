"""Full-text search of Codex rollouts through an incremental local index (S9.5 by analogy).

Rollouts are large files we may not change, so we keep our own FTS5 index, one per machine
(``<state dir>/search/codex.sqlite``, ``codex-<machine>.sqlite``), keyed by each rollout's path
and ``(mtime_ns, size)``: a search re-reads only rollouts that changed since they were indexed
and drops vanished ones. The index is a cache: missing or corrupt, it is rebuilt and the search
says so. Sub-agent threads are not indexed (they are not rows). Positions count in the
transcript as the host shows it (the most recent ``max_messages`` after a notice).
"""

from __future__ import annotations

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
from hermes_sessions_core.source_roots import search_by_machine

from .discovery import RolloutFile, discover
from .ids import session_id_for
from .machines import codex_folders
from .parse import parse_rollout
from .settings import ID_PREFIX, SOURCE_NAME, CodexSettings
from .summary import NotARollout

__all__ = ["hermes_sessions_search", "hermes_sessions_rebuild_search_index", "RolloutIndex"]

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


def index_path_for(context: SourceContext, machine: str | None) -> Path:
    """Where the core says this source's index lives, ``codex@<machine>.sqlite`` beside it
    for another machine's rollouts (their ids repeat)."""
    base = search_index_path(context.locations, context.setting, SOURCE_NAME)
    return base if machine is None else base.with_name(f"{base.stem}@{machine}{base.suffix}")


def _indexes(context: SourceContext) -> Iterator[tuple[RolloutIndex, str | None]]:
    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    for group in groups:
        yield RolloutIndex(index_path_for(context, group.machine), group.folders,
                           settings), group.machine


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # Codex threads belong to no Web UI project
    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    progress = index_progress(context, SOURCE_NAME)
    return search_by_machine(groups, ID_PREFIX, lambda folders, machine: RolloutIndex(
        index_path_for(context, machine), folders, settings).search(query, progress))


@hookimpl
def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    return sum(index.rebuild(progress) for index, _machine in _indexes(context))


class RolloutIndex:
    """The FTS5 index of every rollout under one machine's Codex homes."""

    def __init__(self, path: Path, homes: Any, settings: CodexSettings) -> None:
        self.path = path
        self.homes = tuple(homes)
        self.settings = settings
        with _locks_guard:
            self._lock = _locks.setdefault(str(path), threading.Lock())

    def _connect(self, create: bool) -> sqlite3.Connection:
        return open_search_index(self.path, _SCHEMA, _SCHEMA_VERSION, create=create)

    def update(
        self, progress: Callable[[int, int], None] | None = None
    ) -> tuple[int, list[Problem]]:
        """Re-read changed or new rollouts, drop vanished ones; (files read, problems)."""
        found = discover(self.homes)
        problems = list(found.problems)
        current = {file.path: file for file in found.files}
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
        self, connection: sqlite3.Connection, file: RolloutFile, key: int | None,
        problems: list[Problem],
    ) -> None:
        if key is not None:
            self._forget(connection, key)
        messages: list[dict[str, Any]] = []
        title = ""
        try:
            parsed = parse_rollout(file, self.settings)
            if not parsed.summary.meta.is_subagent:  # not a row, so never a hit
                messages, title = parsed.messages, parsed.summary.title
        except NotARollout:
            pass  # remembered with its stat, so it is not parsed again until it changes
        except OSError as error:
            problems.append(Problem.from_exception(SOURCE_NAME, _HOOK, error, path=file.path))
            return
        cursor = connection.execute(
            "INSERT INTO files(path, session_id, mtime_ns, size, title, total) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (file.path, session_id_for(file.thread_id), file.mtime_ns, file.size, title,
             len(messages)),
        )
        base = int(cursor.lastrowid or 0) << _BITS
        if not title:
            return
        last = message_timestamp(messages[-1]) if messages else None
        connection.execute("INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, NULL, ?)",
                           (base, segment_for_index(title), last))
        rows = []
        for position, message in enumerate(messages[: _MASK - 1]):
            text = message_text(message)
            if text.strip():
                rows.append((base + position + 1, segment_for_index(text), message.get("role"),
                             message_timestamp(message)))
        connection.executemany("INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, ?, ?)", rows)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every rollout afresh (``hermes-sessions reindex``)."""
        discard_search_index(self.path)
        return self.update(progress)[0]

    def search(
        self, query: SearchQuery, progress: Callable[[int, int], None] | None = None
    ) -> SearchResults:
        """Hits for ``query`` after catching up with changed rollouts."""
        notes: list[Problem] = []
        try:
            _, problems = self.update(progress)
            hits = self._query(query)
        except (SearchIndexUnusable, sqlite3.DatabaseError) as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            existed = self.path.exists()
            discard_search_index(self.path)
            count, problems = self.update(progress)
            if existed or count:
                what = f"could not be used ({error})" if existed else "was missing"
                notes.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchIndexRebuilt",
                    f"the Codex search index {what}; rebuilt it from {count} rollout(s)",
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
                    if total > window:  # the host shows a notice, then the last `window`
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
