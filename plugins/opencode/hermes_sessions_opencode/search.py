"""Searching OpenCode sessions: titles, message text, reasoning, tool input and output.

OpenCode's database is itself SQLite, so we keep no index of our own: each query term is first
looked for in the stored parts with ``LIKE`` (in SQLite's C code, over the sessions the
listing shows), which narrows the sessions whose transcripts are then built and matched
exactly, at most ``max_search_sessions`` of them, newest first. Transcripts are cached per
session version, so a repeated search reads nothing. Legacy sessions are matched the same way
without the prefilter. Hits name listed rows only, so child (subagent) sessions, which are
not rows, are not searched; positions count in the transcript as the host shows it (the most
recent ``max_messages`` after a notice).
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from dataclasses import replace
from typing import Any, Iterable, Iterator, Mapping, Sequence

from hermes_sessions_core.models import Problem
from hermes_sessions_core.search import (
    MATCH_CONTENT,
    MATCH_TITLE,
    UNRANKED_SCORE,
    SearchHit,
    SearchQuery,
    SearchResults,
    first_in_rank_order,
    limit_results,
    make_snippet,
    matches_text,
    message_text,
    rank_key,
    title_score,
    tool_call_text,
)

from .cache import OpenCodeCache
from .connection import NotADatabase, open_read_only
from .json_tree import DamagedFile
from .listing import collect_sessions
from .sessions import database_messages, full_messages, shown_transcript
from .settings import SOURCE_NAME, OpenCodeSettings
from .summary import SessionSummary
from .transcript import window_messages

__all__ = ["search_opencode", "searchable_text"]

_HOOK = "hermes_sessions_search"
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_BATCH = 100  # sessions read per connection while searching: bounded memory


def searchable_text(message: Mapping[str, Any]) -> str:
    """What a search matches in one shown message: its text, reasoning, tool calls."""
    pieces = [message_text(message)]
    reasoning = message.get("reasoning")
    if isinstance(reasoning, str):
        pieces.append(reasoning)
    if message.get("tool_calls"):
        pieces.append(tool_call_text(message.get("tool_calls")))
    return "\n".join(piece for piece in pieces if piece)


def _like_words(query: SearchQuery) -> list[str] | None:
    """The words every matching session's stored parts must contain (ASCII, so ``LIKE``'s
    case folding is exact); None when a term has other letters (no prefilter then)."""
    words: list[str] = []
    for term in query.terms:
        for piece in re.split(r"[\W_]+", term):
            if not piece:
                continue
            if not _ASCII_WORD.fullmatch(piece):
                return None
            words.append(piece)
    return words


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _database_candidates(
    path: str, session_ids: list[str], words: list[str], settings: OpenCodeSettings
) -> set[str]:
    """The sessions of one database whose parts hold every word somewhere."""
    connection = open_read_only(path, settings.busy_timeout_ms)
    try:
        remaining = set(session_ids)
        for word in words:
            if not remaining:
                break
            pattern = f"%{_escape_like(word)}%"
            matched: set[str] = set()
            chosen = sorted(remaining)
            for start in range(0, len(chosen), 400):
                chunk = chosen[start:start + 400]
                marks = ",".join("?" * len(chunk))
                matched.update(row[0] for row in connection.execute(
                    f"SELECT DISTINCT session_id FROM part WHERE session_id IN ({marks})"
                    " AND data LIKE ? ESCAPE '\\'", (*chunk, pattern)))
            remaining &= matched
        return remaining
    finally:
        connection.close()


#: One shown message as search reads it: position, role, time, text, text lower-cased.
_Document = tuple[int, Any, "float | None", str, str]


def _documents(messages: list[dict[str, Any]]) -> list[_Document]:
    documents = []
    for position, message in enumerate(messages):
        if message.get("kind") == "notice":
            continue  # our own words about what was left out, not the conversation
        text = searchable_text(message)
        if text:
            stamp = message.get("timestamp")
            documents.append((position, message.get("role"),
                              stamp if isinstance(stamp, float) else None, text, text.lower()))
    return documents


def _transcript_key(summary: SessionSummary) -> str:
    return summary.record.path + "#" + summary.record.native_id


def _cached_transcripts(
    summaries: Sequence[SessionSummary], settings: OpenCodeSettings, cache: OpenCodeCache,
    problems: list[Problem],
) -> Iterator[tuple[SessionSummary, list[_Document]]]:
    """Each session's searchable messages (positions as a load shows them), from the cache or
    read in batches: one connection per database for up to ``_BATCH`` sessions.

    Cached under the summary object: a changed session (a new database read, a changed
    file) has a new one. The cached value keeps its summary alive, so the id is never reused
    meanwhile."""
    for start in range(0, len(summaries), _BATCH):
        batch = summaries[start:start + _BATCH]
        ready: dict[str, list[_Document]] = {}
        missing: dict[str, list[SessionSummary]] = defaultdict(list)
        for summary in batch:
            cached = cache.transcripts.get(_transcript_key(summary), id(summary))
            if cached is not None:
                ready[summary.session_id] = cached[1]
            else:
                missing[summary.record.path if summary.record.storage == "db" else ""].append(
                    summary)
        for path, group in missing.items():
            try:
                if path:
                    loaded = database_messages(path, [s.record.native_id for s in group],
                                               settings)
                    read = {s.session_id: loaded.get(s.record.native_id, []) for s in group}
                else:
                    read = {s.session_id: full_messages(s.record, settings) for s in group}
            except (sqlite3.Error, OSError, NotADatabase, DamagedFile, ValueError) as error:
                problems.append(Problem(SOURCE_NAME, _HOOK, type(error).__name__,
                                        f"sessions not searched: {error}", path or None))
                continue
            for summary in group:
                documents = _documents(window_messages(
                    shown_transcript(summary, read[summary.session_id], settings),
                    settings.max_messages))
                cache.transcripts.put(_transcript_key(summary), id(summary),
                                      (summary, documents))
                ready[summary.session_id] = documents
        for summary in batch:
            if summary.session_id in ready:
                yield summary, ready[summary.session_id]


def search_opencode(
    folders: Iterable[str], query: SearchQuery, settings: OpenCodeSettings,
    cache: OpenCodeCache, database_names: frozenset[str] = frozenset(),
) -> SearchResults:
    """Hits for ``query`` among the sessions the listing of ``folders`` shows."""
    found = collect_sessions(folders, settings, cache, database_names)
    problems: list[Problem] = [replace(p, hook=_HOOK) for p in found.problems]
    hits: list[SearchHit] = []
    titles: list[tuple[str, SearchHit]] = []
    listed = [s for s in found.top_level()
              if query.include_archived or s.record.archived_at is None]
    listed.sort(key=lambda s: (-(s.last_at or 0.0), s.session_id))
    for summary in listed:
        if matches_text(summary.title, query) and query.accepts_time(summary.last_at):
            titles.append((summary.title, SearchHit(
                session_id=summary.session_id, source=SOURCE_NAME, snippet="",
                score=title_score(summary.title, query), match_type=MATCH_TITLE,
                title=summary.title, timestamp=summary.last_at,
            )))
    words = _like_words(query)
    candidates = listed
    if words:
        by_database: dict[str, list[str]] = defaultdict(list)
        for summary in listed:
            if summary.record.storage == "db":
                by_database[summary.record.path].append(summary.record.native_id)
        keep: set[tuple[str, str]] = set()
        for path, ids in by_database.items():
            try:
                keep.update((path, n) for n in _database_candidates(path, ids, words, settings))
            except (sqlite3.Error, OSError, NotADatabase) as error:
                problems.append(Problem(SOURCE_NAME, _HOOK, type(error).__name__,
                                        f"OpenCode database not searched: {error}", path))
        candidates = [s for s in listed if s.record.storage != "db"
                      or (s.record.path, s.record.native_id) in keep]
    chosen = candidates[: settings.max_search_sessions]
    lowered = [word.lower() for word in words or ()]
    found_content: list[tuple[str, SearchHit]] = []
    for summary, documents in _cached_transcripts(chosen, settings, cache, problems):
        for position, role, stamp, text, folded in documents:
            if any(word not in folded for word in lowered) or not matches_text(text, query):
                continue
            stamp = stamp if stamp is not None else summary.last_at
            if not query.accepts_time(stamp):
                continue
            found_content.append((text, SearchHit(
                session_id=summary.session_id, source=SOURCE_NAME, snippet="",
                score=UNRANKED_SCORE, match_type=MATCH_CONTENT, position=position,
                title=summary.title, role=role, timestamp=stamp,
            )))
    if len(candidates) > settings.max_search_sessions:
        problems.append(Problem(SOURCE_NAME, _HOOK, "SearchBounded",
                                f"searched the {settings.max_search_sessions} most recent of "
                                f"{len(candidates)} matching OpenCode sessions", None))
    # Snippets only for the hits kept: in rank order, titles first, per session and limit.
    found_content.sort(key=lambda pair: rank_key(pair[1]))
    for text, hit in first_in_rank_order([*titles, *found_content], query):
        snippet, ranges = make_snippet(text, query)
        hits.append(replace(hit, snippet=snippet, highlights=ranges))
    return limit_results(query, hits, problems, SOURCE_NAME)
