"""Full-text search of the agent's ``state.db`` (S9.5), read-only like everything here.

The agent keeps its own FTS5 index (``messages_fts``, and ``messages_fts_trigram`` for text
without spaces between words); we query it and never write. A database without one is
searched by a bounded scan of its newest messages, and the hit list says so. Hits name the
session that holds the message, and ``position`` counts from the start of that session's
stitched transcript (its continuation chain), exactly as :func:`.transcript.stitched_messages`
orders it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import SourceContext, hookimpl
from hermes_sessions_core.models import Problem
from hermes_sessions_core.search import (
    MATCH_CONTENT,
    SearchHit,
    SearchQuery,
    SearchResults,
    limit_results,
    make_snippet,
    matches_text,
    segment_for_index,
)
from hermes_sessions_core.times import to_epoch

from .connection import DEFAULT_LOCK_WAIT, AgentDatabaseMissing, LockWait, read_only
from .field_caps import TITLE_READ_CHARS
from .graph import chunked
from .schema import Schema, probe
from .sources import SOURCE_NAME
from .titles import clean_title
from .transcript import MULTIMODAL_PREFIX, chain_segments, message_rows

__all__ = ["hermes_sessions_search", "search_agent_database", "DEFAULT_SCAN_LIMIT"]

logger = logging.getLogger(__name__)

_HOOK = "hermes_sessions_search"
#: Without an FTS table, at most this many of the newest messages are scanned per database.
DEFAULT_SCAN_LIMIT = 200_000
#: FTS candidates fetched per wanted hit, before filters (archived, dates, live rows) apply.
_CANDIDATES_PER_HIT = 20


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # agent sessions belong to no Web UI project
    locations = context.locations
    names = list(query.profiles) or locations.known_profiles()
    wait = LockWait(float(context.setting(SOURCE_NAME, "lock_wait", DEFAULT_LOCK_WAIT)))
    scan_limit = int(context.setting(SOURCE_NAME, "search_scan_limit", DEFAULT_SCAN_LIMIT))
    hits: list[SearchHit] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for profile in names:
        try:
            path = locations.state_db(profile)
        except ValueError:
            continue
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            found, notes = search_agent_database(path, profile, query, wait, scan_limit)
        except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
            problems.append(Problem.from_exception(SOURCE_NAME, _HOOK, error, path=str(path)))
            continue
        hits.extend(found)
        problems.extend(notes)
    return limit_results(query, hits, problems, SOURCE_NAME)


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _has_cjk(query: SearchQuery) -> bool:
    return any(segment_for_index(term) != term for term in query.terms)


def search_agent_database(
    path: Path, profile: str, query: SearchQuery,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT, scan_limit: int = DEFAULT_SCAN_LIMIT,
) -> tuple[list[SearchHit], list[Problem]]:
    """Hits in one profile's database, and notes on how it was searched (a bounded scan)."""
    problems: list[Problem] = []
    with read_only(path, busy_timeout) as connection:
        schema = probe(connection)
        if not schema.has_transcripts:
            return [], []
        tables = _tables(connection)
        ranked: list[tuple[int, float]] | None = None
        table = "messages_fts"
        if _has_cjk(query) and "messages_fts_trigram" in tables and min(map(len, query.terms)) >= 3:
            table = "messages_fts_trigram"
        if table in tables:
            try:
                ranked = _fts_candidates(connection, table, query)
            except sqlite3.OperationalError as error:
                problems.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchIndexUnusable",
                    f"the agent's {table} could not be queried ({error}); scanned messages instead",
                    path=str(path),
                ))
        if ranked is None:
            ranked, capped = _scan_candidates(connection, schema, query, scan_limit)
            if capped:
                problems.append(Problem(
                    SOURCE_NAME, _HOOK, "SearchScanBounded",
                    f"this state.db has no full-text index: only its newest {scan_limit} "
                    "messages were searched", path=str(path),
                ))
        hits = _hits(connection, schema, profile, query, ranked)
    return hits, problems


def _fts_candidates(
    connection: sqlite3.Connection, table: str, query: SearchQuery
) -> list[tuple[int, float]]:
    """Message ids and scores from the agent's own index, best first."""
    expression = query.fts5_expression(segment_cjk=False)
    wanted = query.limit * query.per_session * _CANDIDATES_PER_HIT
    cursor = connection.execute(
        f"SELECT rowid, bm25({table}) FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?",
        (expression, wanted),
    )
    return [(int(rowid), -float(rank)) for rowid, rank in cursor]


def _scan_candidates(
    connection: sqlite3.Connection, schema: Schema, query: SearchQuery, scan_limit: int
) -> tuple[list[tuple[int, float]], bool]:
    """The newest ``scan_limit`` messages whose text contains every term (LIKE, then a check)."""
    id_column = schema.message_id
    likes = " AND ".join("content LIKE ? ESCAPE '\\'" for _ in query.terms)
    values = [
        "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for term in query.terms
    ]
    total = connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    cursor = connection.execute(
        f"SELECT id, content FROM (SELECT {id_column} AS id, content FROM messages"
        f" ORDER BY {id_column} DESC LIMIT ?) WHERE {likes}",
        [scan_limit, *values],
    )
    found = [(int(row_id), 1.0) for row_id, content in cursor
             if isinstance(content, str) and matches_text(content, query)]
    return found, total > scan_limit


def _hits(
    connection: sqlite3.Connection, schema: Schema, profile: str, query: SearchQuery,
    ranked: list[tuple[int, float]],
) -> list[SearchHit]:
    """Candidates turned into hits: live rows only, filters applied, positions computed."""
    if not ranked:
        return []
    scores = dict(ranked)
    rows: dict[int, tuple[Any, ...]] = {}
    id_column = schema.message_id
    for batch in chunked([str(row_id) for row_id, _ in ranked]):
        placeholders = ", ".join("?" for _ in batch)
        for row in connection.execute(
            f"SELECT {id_column}, session_id, role, content, timestamp FROM messages"
            f" WHERE {id_column} IN ({placeholders}) AND {schema.live_messages()}",
            [int(value) for value in batch],
        ):
            rows[int(row[0])] = row
    sessions = _session_fields(connection, schema, {row[1] for row in rows.values()})
    hits: list[SearchHit] = []
    per_session: dict[str, int] = {}
    for row_id, _ in ranked:
        row = rows.get(row_id)
        if row is None:
            continue
        _, session_id, role, content, stamp = row
        title, archived = sessions.get(session_id, (None, False))
        when = to_epoch(stamp)
        if (archived and not query.include_archived) or not query.accepts_time(when):
            continue
        if per_session.get(session_id, 0) >= query.per_session:
            continue
        per_session[session_id] = per_session.get(session_id, 0) + 1
        text = content if isinstance(content, str) else ""
        if text.startswith(MULTIMODAL_PREFIX):
            text = text[len(MULTIMODAL_PREFIX):]
        snippet, ranges = make_snippet(text, query)
        hits.append(SearchHit(
            session_id=str(session_id), source=SOURCE_NAME, snippet=snippet,
            score=scores[row_id], match_type=MATCH_CONTENT,
            position=_position(connection, schema, str(session_id), row_id),
            title=title, role=role, timestamp=when, profile=profile, highlights=ranges,
        ))
        if len(hits) >= query.limit:
            break
    return hits


def _session_fields(
    connection: sqlite3.Connection, schema: Schema, session_ids: set[str]
) -> dict[str, tuple[str | None, bool]]:
    title = f"substr(title, 1, {TITLE_READ_CHARS})" if "title" in schema.session_columns else "NULL"
    archived = "archived" if "archived" in schema.session_columns else "0"
    found: dict[str, tuple[str | None, bool]] = {}
    for batch in chunked(session_ids):
        placeholders = ", ".join("?" for _ in batch)
        for session_id, name, flag in connection.execute(
            f"SELECT id, {title}, {archived} FROM sessions WHERE id IN ({placeholders})", batch
        ):
            found[session_id] = (clean_title(name) if isinstance(name, str) else None, bool(flag))
    return found


def _position(connection: sqlite3.Connection, schema: Schema, session_id: str, row_id: int) -> int | None:
    """The message's index in the session's stitched transcript, as the host shows it."""
    try:
        segments = chain_segments(connection, schema, session_id)
        rows = message_rows(connection, schema, segments, ["timestamp"])
    except (sqlite3.Error, ValueError, TypeError) as error:
        logger.warning("agent search: no position for %s in %s: %s", row_id, session_id, error)
        return None
    for index, row in enumerate(rows):
        if row.get("_row_id") == row_id:
            return index
    return None
