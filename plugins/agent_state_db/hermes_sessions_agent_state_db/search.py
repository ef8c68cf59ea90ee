"""Full-text search of the agent's ``state.db`` (S9.5), read-only like everything here.

The agent keeps its own FTS5 index (``messages_fts``, and ``messages_fts_trigram`` for text
without spaces between words) over each message's content, tool name and tool calls; we query
it and never write. A database without one is searched by a bounded scan of its newest
messages, and the hit list says so. Titles (which the agent does not index) are matched in the
``sessions`` table.

Hits name the sidebar row (S3.5, S3.9): a continuation chain is one row whose id is its tip,
so a match in an earlier segment names the tip, and ``position`` counts in the tip's stitched
transcript, exactly as :func:`.transcript.message_rows` orders it (what ``store.get(tip)``
shows). Hits are cut in :func:`~hermes_sessions_core.search.rank_key` order, fetching more
candidates until the cut is certain, so a longer answer always begins with a shorter one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.models import Problem
from hermes_sessions_core.search import (
    MATCH_CONTENT,
    MATCH_TITLE,
    UNRANKED_SCORE,
    SearchHit,
    SearchQuery,
    SearchResults,
    limit_results,
    make_snippet,
    matches_text,
    segment_for_index,
    title_score,
    tool_call_text,
)
from hermes_sessions_core.times import to_epoch

from .connection import DEFAULT_LOCK_WAIT, AgentDatabaseMissing, LockWait, read_only
from .continuation import MAX_HOPS
from .essentials import DEFAULT_SCAN_LIMIT, SearchPlan
from .field_caps import TITLE_READ_CHARS
from .graph import LineageGraph, chunked
from .message_stats import message_stats
from .rows import last_activity
from .schema import Schema, probe
from .sources import SOURCE_NAME
from .titles import clean_title
from .transcript import MULTIMODAL_PREFIX, chain_segments, message_rows

__all__ = [
    "DEFAULT_SCAN_LIMIT", "hermes_sessions_search", "search_agent_database", "search_databases",
]

logger = logging.getLogger(__name__)

_HOOK = "hermes_sessions_search"
#: FTS candidates fetched per wanted hit at first; more are fetched until the cut is certain.
_CANDIDATES_PER_HIT = 4
#: bm25 as a score in [0, 1), computed by SQLite so candidates arrive in score order exactly.
_SCORE_SQL = "max(0.0, -bm25({table})) / (1.0 + max(0.0, -bm25({table})))"


def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    """The search hook's answer. The package's hook does the same, and imports this module
    only when :class:`~.essentials.SearchPlan` found a ``state.db`` to search."""
    if query.project_id is not None:
        return None  # agent sessions belong to no Web UI project
    return search_databases(query, SearchPlan(context, query))


def search_databases(query: SearchQuery, plan: SearchPlan) -> SearchResults:
    """Hits in every database of ``plan``, cut to the query's limits."""
    hits: list[SearchHit] = []
    problems: list[Problem] = []
    for profile, path in plan.databases:
        try:
            found, notes = search_agent_database(
                path, profile, query, plan.wait, plan.scan_limit, plan.excluded
            )
        except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
            problems.append(Problem.from_exception(SOURCE_NAME, _HOOK, error, path=str(path)))
            continue
        hits.extend(found)
        problems.extend(notes)
    return limit_results(query, hits, problems, SOURCE_NAME)


def _tables(connection: sqlite3.Connection) -> set[str]:
    cursor = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in cursor}


def _like_pattern(term: str) -> str:
    """``%term%`` for ``LIKE … ESCAPE '\\'``, the term's own wildcards escaped."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _has_cjk(query: SearchQuery) -> bool:
    return any(segment_for_index(term) != term for term in query.terms)


def search_agent_database(
    path: Path, profile: str, query: SearchQuery,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT, scan_limit: int = DEFAULT_SCAN_LIMIT,
    exclude_sources: frozenset[str] = frozenset(),
) -> tuple[list[SearchHit], list[Problem]]:
    """Hits in one profile's database, and notes on how it was searched (a bounded scan)."""
    problems: list[Problem] = []
    with read_only(path, busy_timeout) as connection:
        schema = probe(connection)
        if not schema.has_sessions and not schema.has_transcripts:
            return [], []
        rows = _Rows(connection, schema, exclude_sources)
        hits = _title_hits(connection, schema, profile, query, rows) if schema.has_sessions else []
        if not schema.has_transcripts:
            return hits, problems
        tables = _tables(connection)
        table = "messages_fts"
        if _has_cjk(query) and "messages_fts_trigram" in tables and min(map(len, query.terms)) >= 3:
            table = "messages_fts_trigram"
        content: list[_Candidate] | None = None
        if table in tables:
            try:
                content = _fts_hits(connection, schema, query, rows, table)
            except sqlite3.OperationalError as error:
                problems.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchIndexUnusable",
                    f"the agent's {table} could not be queried ({error}); scanned messages instead",
                    path=str(path),
                ))
        if content is None:
            content, capped = _scan_hits(connection, schema, query, rows, scan_limit)
            if capped:
                problems.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchScanBounded",
                    f"this state.db has no full-text index: only its newest {scan_limit} "
                    "messages were searched", path=str(path),
                ))
        hits.extend(_content_hit(candidate, profile, query, rows) for candidate in content)
    return hits, problems


# ── which sidebar row shows a segment ────────────────────────────────────────────────────────


class _Rows:
    """The sidebar row (its tip) of each segment, its title, time and flags, for one search.

    The tip is found as the listing finds it: follow the newest continuing child down to the
    end of the chain, then take the latest segment there that has live messages (S3.5, S3.9).
    """

    def __init__(
        self, connection: sqlite3.Connection, schema: Schema, exclude_sources: frozenset[str]
    ) -> None:
        self.connection = connection
        self.schema = schema
        self.exclude_sources = exclude_sources
        self.graph = LineageGraph(connection, schema)
        self._tips: dict[str, str] = {}
        self._archived: dict[str, bool] = {}
        self._activity: dict[str, float | None] = {}
        self._positions: dict[str, dict[int, int]] = {}

    def resolve(self, segments: Iterable[str]) -> None:
        """Find the tips of ``segments`` with a few batched queries."""
        wanted = [s for s in dict.fromkeys(segments) if s not in self._tips]
        if not wanted:
            return
        if not self.schema.has_sessions:  # messages only (S3.3): each session stands alone
            self._tips.update((segment, segment) for segment in wanted)
            return
        graph = self.graph
        graph.load(wanted)
        if self.schema.has_lineage:
            graph.load_ancestors(wanted)
            graph.load_continuation_descendants(wanted)
        paths = {segment: self._path_down(segment) for segment in wanted}
        stats = message_stats(
            self.connection, self.schema, {s for path in paths.values() for s in path}
        )
        for segment, path in paths.items():
            tip = next((s for s in reversed(path) if s in stats), segment)
            if tip != segment and segment not in graph.walk(tip).segments:
                tip = segment  # a chain longer than the walk's hop cap stays split (S3.6)
            self._tips[segment] = tip
            self._activity.setdefault(tip, last_activity(graph.get(tip) or {}, stats.get(tip)))
        self._load_flags({self._tips[s] for s in wanted})

    def _path_down(self, segment: str) -> list[str]:
        path = [segment]
        for _ in range(MAX_HOPS):
            following = self.graph.next_segment(path[-1])
            if following is None or following in path:
                break
            path.append(following)
        return path

    def _load_flags(self, tips: set[str]) -> None:
        columns = self.schema.session_columns
        archived = "archived" if "archived" in columns else "0"
        source = "source" if "source" in columns else "NULL"
        wanted = [t for t in tips if t not in self._archived]
        for batch in chunked(wanted):
            placeholders = ", ".join("?" for _ in batch)
            for session_id, flag, raw in self.connection.execute(
                f"SELECT id, {archived}, {source} FROM sessions WHERE id IN ({placeholders})", batch
            ):
                hidden = str(raw or "").strip().lower() in self.exclude_sources
                self._archived[str(session_id)] = bool(flag) or hidden
        for tip in wanted:
            self._archived.setdefault(tip, False)

    def tip(self, segment: str) -> str:
        return self._tips.get(segment, segment)

    def shown(self, tip: str, query: SearchQuery) -> bool:
        """Whether the row is searched: not archived (unless asked), not an excluded source."""
        return query.include_archived or not self._archived.get(tip, False)

    def activity(self, tip: str) -> float | None:
        return self._activity.get(tip)

    def title(self, tip: str) -> str | None:
        """The row's title as the sidebar shows it: the head's, else the tip's (S3.15)."""
        walk = self.graph.walk(tip)
        head = self.graph.get(walk.head) or {}
        own = self.graph.get(tip) or {}
        return clean_title(head.get("title")) or clean_title(own.get("title"))

    def position(self, tip: str, row_id: int) -> int | None:
        """The message's index in the tip's stitched transcript, as the host shows it."""
        positions = self._positions.get(tip)
        if positions is None:
            try:
                segments = chain_segments(self.connection, self.schema, tip, self.graph)
                rows = message_rows(self.connection, self.schema, segments, ["timestamp"])
            except (sqlite3.Error, ValueError, TypeError) as error:
                logger.warning("agent search: no positions in %s: %s", tip, error)
                rows = []
            positions = self._positions[tip] = {
                row["_row_id"]: index for index, row in enumerate(rows)
                if isinstance(row.get("_row_id"), int)
            }
        return positions.get(row_id)


# ── titles ───────────────────────────────────────────────────────────────────────────────────


def _title_hits(
    connection: sqlite3.Connection, schema: Schema, profile: str, query: SearchQuery, rows: _Rows
) -> list[SearchHit]:
    """Rows whose shown title holds every term: one hit each, ``position`` None."""
    if "title" not in schema.session_columns:
        return []
    conditions = ["title IS NOT NULL", schema.valid_id()]
    values: list[str] = []
    for term in query.terms:
        if term.isascii():  # LIKE folds ASCII case only: other terms are checked below
            conditions.append("title LIKE ? ESCAPE '\\'")
            values.append(_like_pattern(term))
    found = [
        str(session_id) for session_id, title in connection.execute(
            f"SELECT id, substr(title, 1, {TITLE_READ_CHARS}) FROM sessions"
            f" WHERE {' AND '.join(conditions)}", values,
        )
        if isinstance(title, str) and matches_text(title, query)
    ]
    rows.resolve(found)
    hits: list[SearchHit] = []
    for tip in dict.fromkeys(rows.tip(segment) for segment in found):
        title = rows.title(tip)
        when = rows.activity(tip)
        if not title or not matches_text(title, query) or not rows.shown(tip, query):
            continue
        if not query.accepts_time(when):
            continue
        snippet, ranges = make_snippet(title, query)
        hits.append(SearchHit(
            session_id=tip, source=SOURCE_NAME, snippet=snippet, score=title_score(title, query),
            match_type=MATCH_TITLE, position=None, title=title, role=None, timestamp=when,
            profile=profile, highlights=ranges,
        ))
    return hits


# ── messages ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Candidate:
    row_id: int
    segment: str
    role: str | None
    text: str
    timestamp: float | None
    score: float

    def order(self, rows: _Rows) -> tuple[float, float, str, int]:
        """This source's part of ``rank_key``: score, newest, row id, then the message's place
        (within one transcript, equal times are ordered by row id)."""
        return (-self.score, -(self.timestamp or 0.0), rows.tip(self.segment), self.row_id)


def _message_text(values: dict[str, Any]) -> str:
    """What the agent's index holds for a message, readable: content, tool name, tool calls."""
    content = values.get("content")
    text = content if isinstance(content, str) else ""
    if text.startswith(MULTIMODAL_PREFIX):
        text = text[len(MULTIMODAL_PREFIX):]
    extras = [str(values["tool_name"])] if values.get("tool_name") else []
    if values.get("tool_calls"):
        extras.append(tool_call_text(values["tool_calls"]))
    return " ".join([text, *extras]) if extras else text


def _message_columns(schema: Schema, alias: str) -> str:
    optional = [
        f"{alias}.{name}" if name in schema.message_columns else f"NULL AS {name}"
        for name in ("role", "content", "timestamp", "tool_name", "tool_calls")
    ]
    return ", ".join([f"{alias}.{schema.message_id}", f"{alias}.session_id", *optional])


def _candidate(row: tuple[Any, ...], score: float) -> _Candidate:
    row_id, session_id, role, content, stamp, tool_name, tool_calls = row[:7]
    text = _message_text({"content": content, "tool_name": tool_name, "tool_calls": tool_calls})
    return _Candidate(
        int(row_id), str(session_id), role if isinstance(role, str) else None, text,
        to_epoch(stamp), score,
    )


def _kept(candidates: list[_Candidate], query: SearchQuery, rows: _Rows) -> list[_Candidate]:
    """Candidates in rank order, filtered, at most ``per_session`` per row, ``limit`` in all."""
    rows.resolve(c.segment for c in candidates)
    ordered = sorted(candidates, key=lambda c: c.order(rows))
    kept: list[_Candidate] = []
    per_row: dict[str, int] = {}
    for candidate in ordered:
        tip = rows.tip(candidate.segment)
        if not rows.shown(tip, query) or not query.accepts_time(candidate.timestamp):
            continue
        if per_row.get(tip, 0) >= query.per_session:
            continue
        per_row[tip] = per_row.get(tip, 0) + 1
        kept.append(candidate)
        if len(kept) >= query.limit:
            break
    return kept


def _fts_hits(
    connection: sqlite3.Connection, schema: Schema, query: SearchQuery, rows: _Rows, table: str
) -> list[_Candidate]:
    """The best messages from the agent's own index, fetched until the cut is certain.

    Candidates come best first in this source's rank order. When a fetch was cut short, only
    candidates strictly ahead of the last one fetched are certain (an unfetched row may tie with
    it); if those do not fill the limit, four times as many are fetched.
    """
    expression = query.fts5_expression(segment_cjk=False)
    score = _SCORE_SQL.format(table=table)
    stamp = "m.timestamp" if "timestamp" in schema.message_columns else "NULL"
    sql = (
        f"SELECT {_message_columns(schema, 'm')}, {score} AS score FROM {table}"
        f" JOIN messages m ON m.{schema.message_id} = {table}.rowid"
        f" WHERE {table} MATCH ? AND {schema.live_messages('m')}"
        f" ORDER BY score DESC, {stamp} DESC, m.{schema.message_id} LIMIT ?"
    )
    wanted = max(50, query.limit * query.per_session * _CANDIDATES_PER_HIT)
    while True:
        fetched = connection.execute(sql, (expression, wanted)).fetchall()
        candidates = [_candidate(row, float(row[7])) for row in fetched]
        if len(fetched) < wanted:
            return _kept(candidates, query, rows)
        last = candidates[-1]
        boundary = (-last.score, -(last.timestamp or 0.0))
        certain = [c for c in candidates if (-c.score, -(c.timestamp or 0.0)) < boundary]
        kept = _kept(certain, query, rows)
        if len(kept) >= query.limit:
            return kept
        wanted *= 4


def _scan_hits(
    connection: sqlite3.Connection, schema: Schema, query: SearchQuery, rows: _Rows,
    scan_limit: int,
) -> tuple[list[_Candidate], bool]:
    """The newest ``scan_limit`` messages whose text holds every term (LIKE, then a check);
    a scan cannot rank, so every hit scores :data:`UNRANKED_SCORE`."""
    id_column = schema.message_id
    likes = " AND ".join("searched LIKE ? ESCAPE '\\'" for _ in query.terms)
    values = [_like_pattern(term) for term in query.terms]
    tools = " || ' ' || ".join(
        f"COALESCE(m.{name}, '')" for name in ("content", "tool_name", "tool_calls")
        if name in schema.message_columns
    ) or "''"
    total = connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    cursor = connection.execute(
        f"SELECT * FROM (SELECT {_message_columns(schema, 'm')}, {tools} AS searched"
        f" FROM messages m WHERE {schema.live_messages('m')}"
        f" ORDER BY m.{id_column} DESC LIMIT ?) WHERE {likes}",
        [scan_limit, *values],
    )
    candidates = [_candidate(row, UNRANKED_SCORE) for row in cursor]
    found = [c for c in candidates if matches_text(c.text, query)]
    return _kept(found, query, rows), total > scan_limit


def _content_hit(candidate: _Candidate, profile: str, query: SearchQuery, rows: _Rows) -> SearchHit:
    tip = rows.tip(candidate.segment)
    snippet, ranges = make_snippet(candidate.text, query)
    return SearchHit(
        session_id=tip, source=SOURCE_NAME, snippet=snippet, score=candidate.score,
        match_type=MATCH_CONTENT, position=rows.position(tip, candidate.row_id),
        title=rows.title(tip), role=candidate.role, timestamp=candidate.timestamp,
        profile=profile, highlights=ranges,
    )
