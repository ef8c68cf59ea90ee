"""Full-text search of Gemini CLI chats through an incremental local index (S9.5).

Chats are files we may not change, so we keep our own FTS5 index, one per machine, where
:func:`~hermes_sessions_core.search_files.search_index_path` says (``gemini_cli.sqlite``,
``gemini_cli@<machine>.sqlite`` beside it for another machine), keyed by each chat's path and its
``(mtime_ns, size)``: a search re-reads only chats that changed since they were indexed and
drops those that vanished. The index is a cache: missing or corrupt, it is rebuilt and the
search says so. Positions count in the transcript as the host shows it (the most recent
``max_messages`` after a notice); a match in a left-out earlier message has no position.
Where two files hold one ``sessionId``, only the one the listing shows is searched.
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

from .discovery import ChatFile, discover
from .ids import session_id_for
from .locations import machine_folders
from .reading import parse_chat
from .settings import ID_PREFIX, SOURCE_NAME, GeminiSettings
from .summary import summarise
from .transcripts import build_messages

__all__ = ["hermes_sessions_search", "hermes_sessions_rebuild_search_index", "ChatIndex"]

_HOOK = "hermes_sessions_search"
_SCHEMA_VERSION = "1"
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
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _index_path(context: SourceContext, machine: str | None) -> Path:
    """This machine's index, or ``gemini_cli@<machine>.sqlite`` beside it for another's
    (sessionIds may repeat across machines, so each machine's chats are indexed apart)."""
    path = search_index_path(context.locations, context.setting, SOURCE_NAME)
    return path if machine is None else path.with_name(f"{path.stem}@{machine}{path.suffix}")


def _groups(context: SourceContext) -> Any:
    return machine_folders(context, GeminiSettings.from_context(context), sync=False)


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # Gemini chats belong to no Web UI project
    groups, problems = _groups(context)
    settings = GeminiSettings.from_context(context)
    progress = index_progress(context, SOURCE_NAME)

    def search(folders: list[str], machine: str | None) -> SearchResults:
        return ChatIndex(_index_path(context, machine), folders, settings).search(query, progress)

    results = search_by_machine(groups, ID_PREFIX, search)
    return replace(results, problems=(*problems, *results.problems), sources=(SOURCE_NAME,))


@hookimpl
def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    groups, _problems = _groups(context)
    settings = GeminiSettings.from_context(context)
    return sum(ChatIndex(_index_path(context, group.machine), group.folders, settings)
               .rebuild(progress) for group in groups)


class ChatIndex:
    """The FTS5 index of every chat under some roots."""

    def __init__(self, path: Path, roots: Any, settings: GeminiSettings) -> None:
        self.path = path
        self.roots = tuple(roots)
        self.settings = settings
        with _locks_guard:
            self._lock = _locks.setdefault(str(path), threading.Lock())

    def _connect(self, create: bool) -> sqlite3.Connection:
        return open_search_index(self.path, _SCHEMA, _SCHEMA_VERSION, create=create)

    # ── keeping up with the files ────────────────────────────────────────────────────────

    def update(self, progress: Callable[[int, int], None] | None = None
               ) -> tuple[int, list[Problem]]:
        """Re-read changed or new chats, drop vanished ones; returns (files read, problems)."""
        found = discover(self.roots, subagents=False)
        problems = list(found.problems)
        current = {chat.path: chat for chat in found.chats}
        with self._lock, closing(self._connect(create=True)) as connection:
            known = {path: (key, mtime, size) for key, path, mtime, size in connection.execute(
                "SELECT key, path, mtime_ns, size FROM files")}
            changed = [c for p, c in sorted(current.items())
                       if p not in known or known[p][1:] != (c.mtime_ns, c.size)]
            gone = [known[p][0] for p in known if p not in current]
            if progress is not None:
                progress(0, len(changed))
            connection.execute("BEGIN IMMEDIATE")
            try:
                for key in gone:
                    self._forget(connection, key)
                for done, chat in enumerate(changed, 1):
                    self._index_file(connection, chat, known.get(chat.path, (None,))[0], problems)
                    if progress is not None and done % 50 == 0:
                        progress(done, len(changed))
                if changed or gone:
                    self._mark_shadowed(connection)
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

    @staticmethod
    def _mark_shadowed(connection: sqlite3.Connection) -> None:
        """Of files sharing a session id, all but the newest are shadowed (as in listing)."""
        connection.execute("UPDATE files SET shadowed = 0")
        connection.execute(
            "UPDATE files SET shadowed = 1 WHERE session_id != '' AND EXISTS ("
            " SELECT 1 FROM files other WHERE other.session_id = files.session_id"
            " AND other.key != files.key AND (other.rank > files.rank"
            " OR (other.rank = files.rank AND other.key > files.key)))"
        )

    def _index_file(self, connection: sqlite3.Connection, chat: ChatFile, key: int | None,
                    problems: list[Problem]) -> None:
        if key is not None:
            self._forget(connection, key)
        try:
            parsed = parse_chat(chat, self.settings)
        except OSError as error:
            problems.append(Problem.from_exception(SOURCE_NAME, _HOOK, error, path=chat.path))
            return
        summary = summarise(parsed.conversation, chat.path, chat.mtime_ns,
                            max_chars=self.settings.max_content_chars)
        listed = summary is not None and summary.kind != "subagent"
        messages = build_messages(parsed.conversation, self.settings.max_content_chars) \
            if listed else []
        title = summary.title if summary is not None and listed else ""
        rank = ((summary.last_at or 0.0) * 4 + chat.is_jsonl * 2) if summary is not None else 0.0
        cursor = connection.execute(
            "INSERT INTO files(path, session_id, mtime_ns, size, title, total, rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (chat.path, session_id_for(summary.native_id) if listed and summary else "",
             chat.mtime_ns, chat.size, title, len(messages), rank),
        )
        base = int(cursor.lastrowid or 0) << _BITS
        if not listed or summary is None:
            return  # remembered with its stat, so it is not read again until it changes
        if title:
            connection.execute("INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, NULL, ?)",
                               (base, segment_for_index(title), summary.last_at))
        rows = []
        for position, message in enumerate(messages[: _MASK - 1]):
            text = message_text(message)
            if text.strip():
                rows.append((base + position + 1, segment_for_index(text), message.get("role"),
                             message_timestamp(message)))
        connection.executemany("INSERT INTO docs(rowid, body, role, ts) VALUES (?, ?, ?, ?)", rows)

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every chat afresh (``hermes-sessions reindex``)."""
        discard_search_index(self.path)
        return self.update(progress)[0]

    # ── searching ────────────────────────────────────────────────────────────────────────

    def search(self, query: SearchQuery, progress: Callable[[int, int], None] | None = None
               ) -> SearchResults:
        """Hits for ``query`` after catching up with changed chats."""
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
                    f"the Gemini CLI search index {what}; rebuilt it from {count} chat(s)",
                    path=str(self.path),
                ))
            hits = self._query(query)
        return limit_results(query, hits, [*problems, *notes], SOURCE_NAME)

    def _query(self, query: SearchQuery) -> list[SearchHit]:
        conditions = ["docs MATCH ?", "f.shadowed = 0", "f.session_id != ''"]
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
