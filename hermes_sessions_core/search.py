"""Full-text search records and rules shared by every source: the query, hits, merging (S9.5).

A user's text becomes a :class:`SearchQuery` through :func:`parse_query`, which never lets
SQLite see the raw text: each term is re-quoted for FTS5 by :meth:`SearchQuery.fts5_expression`,
so operators, quotes and parentheses are plain characters, and input that cannot be searched is
refused with :class:`InvalidSearchQuery`. Sources answer with :class:`SearchResults`;
:func:`merge_results` ranks them across sources (title matches first, S6.13) by
:func:`rank_key`, a total order, so the first N hits of a longer answer are the shorter answer.
Scores are on one scale for every source (``docs/search.md``, "Scores and ranking"):
:func:`title_score` for titles, :func:`relevance_score` for a bm25 rank.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar

from .errors import HermesSessionsError
from .models import Problem
from .progress_reports import INDEXING, progress_for

if TYPE_CHECKING:
    from .progress_reports import WithState

__all__ = [
    "MAX_QUERY_LENGTH",
    "MAX_TERMS",
    "DEFAULT_LIMIT",
    "MATCH_TITLE",
    "MATCH_CONTENT",
    "INDEX_TEXT_LIMIT",
    "InvalidSearchQuery",
    "SearchQuery",
    "SearchHit",
    "SearchResults",
    "IndexProgress",
    "UNRANKED_SCORE",
    "parse_query",
    "message_text",
    "tool_call_text",
    "segment_for_index",
    "make_snippet",
    "matches_text",
    "title_score",
    "relevance_score",
    "rank_key",
    "first_in_rank_order",
    "merge_results",
    "limit_results",
    "INDEX_PROGRESS_KEY",
    "index_progress",
]

#: Longer queries are refused: nobody types them, and each term costs an index lookup.
MAX_QUERY_LENGTH = 1000
MAX_TERMS = 32
DEFAULT_LIMIT = 50
MATCH_TITLE = "title"
MATCH_CONTENT = "content"
#: Characters of one message that go into an index; longer tool output is cut.
INDEX_TEXT_LIMIT = 32768
_SNIPPET_WIDTH = 160

#: Called with (sessions done, sessions in total) while an index is rebuilt.
IndexProgress = Callable[[int, int], None]
#: The score of a content hit from a source that cannot rank (a plain scan): mid-scale.
UNRANKED_SCORE = 0.5
#: Where ``SessionStore.reporting_index_progress`` leaves the caller's callback in
#: ``SourceContext.state``, for :func:`index_progress`.
INDEX_PROGRESS_KEY = INDEXING

#: Written between CJK characters in our own indexes so each one is a token (a phrase query
#: then finds words inside unsegmented text). Invisible, and a separator for unicode61.
_CJK_SEPARATOR = "\u200b"
_CJK = re.compile(
    "([\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f])"
)
_WHITESPACE = re.compile(r"\s+")


class InvalidSearchQuery(HermesSessionsError, ValueError):
    """The query cannot be searched (empty, too long, nothing but symbols); the message says why."""


# ── the query ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to find and where. Build it with :func:`parse_query`.

    All terms must match one message (or the title): ``words`` are single words, ``phrases``
    consecutive words, ``prefixes`` word beginnings (``deploy*``). Filters: ``sources`` (empty:
    every enabled source), ``profiles`` (accepted profile names, root aliases included; empty:
    every profile), ``project_id``, ``since``/``until`` (epoch seconds, on the message time or
    else the session's last update), ``include_archived``. ``limit`` caps the hits and
    ``per_session`` the hits of one session.
    """

    text: str
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    project_id: str | None = None
    since: float | None = None
    until: float | None = None
    include_archived: bool = False
    limit: int = DEFAULT_LIMIT
    per_session: int = 1

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term's text, for highlighting and plain-text matching."""
        return self.phrases + self.words + self.prefixes

    def fts5_expression(self, segment_cjk: bool = True) -> str:
        """The terms as an FTS5 MATCH expression: each one quoted, so nothing is an operator.

        ``segment_cjk`` matches our own indexes, which store CJK characters as separate tokens.
        """

        def quoted(term: str) -> str:
            if segment_cjk:
                term = segment_for_index(term)
            return '"' + term.replace('"', '""') + '"'

        parts = [quoted(t) for t in self.phrases + self.words]
        parts += [quoted(t) + "*" for t in self.prefixes]
        return " AND ".join(parts)

    def accepts_profile(self, profile: str | None) -> bool:
        return not self.profiles or (profile or "default") in self.profiles

    def accepts_time(self, stamp: float | None) -> bool:
        if stamp is None:
            return self.since is None and self.until is None
        if self.since is not None and stamp < self.since:
            return False
        return self.until is None or stamp <= self.until

    def accepts_source(self, source: str) -> bool:
        return not self.sources or source in self.sources


def _searchable(chunk: str) -> bool:
    """True if FTS5's unicode61 tokenizer finds a token here (letters, digits, private use)."""
    return any(
        unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co" for ch in chunk
    )


def parse_query(
    text: str,
    *,
    sources: Iterable[str] = (),
    profiles: Iterable[str] = (),
    project_id: str | None = None,
    since: float | None = None,
    until: float | None = None,
    include_archived: bool = False,
    limit: int = DEFAULT_LIMIT,
    per_session: int = 1,
) -> SearchQuery:
    """Turn what a user typed into a :class:`SearchQuery`, or raise :class:`InvalidSearchQuery`.

    ``"two words"`` is a phrase (an unclosed quote runs to the end), ``word*`` a prefix, any
    other run of non-space characters a word. FTS syntax (``AND``, ``NEAR``, ``(``, ``:``,
    ``^``, ``-``) has no meaning here: it is searched as text. Runs without a letter or digit
    (emoji, punctuation) are dropped; a query left with no term is refused.
    """
    if not isinstance(text, str):
        raise InvalidSearchQuery(f"the search query must be text, not {type(text).__name__}")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidSearchQuery(
            f"the search query is {len(text)} characters long; shorten it to at most "
            f"{MAX_QUERY_LENGTH}"
        )
    if not text.strip():
        raise InvalidSearchQuery("the search query is empty: type at least one word")
    if limit < 1:
        raise InvalidSearchQuery(f"limit must be at least 1, not {limit}")
    if since is not None and until is not None and since > until:
        raise InvalidSearchQuery("the date range is empty: --since is after --until")
    words: list[str] = []
    phrases: list[str] = []
    prefixes: list[str] = []
    cleaned = text.replace("\x00", " ")
    for quoted, bare in re.findall(r'"([^"]*)(?:"|$)|([^\s"]+)', cleaned):
        if quoted:
            phrase = _WHITESPACE.sub(" ", quoted).strip()
            if _searchable(phrase):
                (phrases if " " in phrase else words).append(phrase)
            continue
        chunk = bare
        if chunk.endswith("*") and _searchable(chunk.rstrip("*")):
            stem = chunk.rstrip("*")
            if sum(1 for ch in stem if _searchable(ch)) >= 2:
                prefixes.append(stem)
                continue
            chunk = stem
        if _searchable(chunk):
            words.append(chunk)
    terms = len(words) + len(phrases) + len(prefixes)
    if terms == 0:
        raise InvalidSearchQuery(
            f"nothing to search for in {text.strip()[:40]!r}: the query needs at least one "
            "letter or digit (symbols and emoji alone are not indexed)"
        )
    if terms > MAX_TERMS:
        raise InvalidSearchQuery(f"the search query has {terms} terms; use at most {MAX_TERMS}")
    return SearchQuery(
        text=text,
        words=tuple(dict.fromkeys(words)),
        phrases=tuple(dict.fromkeys(phrases)),
        prefixes=tuple(dict.fromkeys(prefixes)),
        sources=tuple(sources),
        profiles=tuple(profiles),
        project_id=project_id,
        since=since,
        until=until,
        include_archived=include_archived,
        limit=int(limit),
        per_session=max(1, int(per_session)),
    )


# ── text ─────────────────────────────────────────────────────────────────────────────────────


def message_text(message: object, limit: int = INDEX_TEXT_LIMIT) -> str:
    """The searchable text of one message: string content, or the text parts of a list."""
    if not isinstance(message, Mapping):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, Mapping):
                value = part.get("text")
                if isinstance(value, str):
                    pieces.append(value)
            elif isinstance(part, str):
                pieces.append(part)
        text = "\n".join(pieces)
    else:
        text = ""
    return text[:limit]


def tool_call_text(tool_calls: object, limit: int = INDEX_TEXT_LIMIT) -> str:
    """Tool calls as a reader sees them: each tool's name and its argument values.

    Arguments arrive as JSON text inside JSON (OpenAI's format); they are decoded, so a
    snippet shows ``pytest -k payments``, not escaped quotes. Undecodable text is kept as is.
    """
    if isinstance(tool_calls, str):
        raw = tool_calls
        try:
            tool_calls = json.loads(raw)
        except (ValueError, RecursionError):
            return raw[:limit]
    pieces: list[str] = []

    def add(value: object, depth: int = 0) -> None:
        if depth > 8 or sum(map(len, pieces)) > limit:
            return
        if isinstance(value, str):
            stripped = value.strip()
            if stripped[:1] in ("{", "[") and depth < 8:
                try:
                    add(json.loads(stripped), depth + 1)
                    return
                except (ValueError, RecursionError):
                    pass
            pieces.append(value)
        elif isinstance(value, Mapping):
            for key in ("name", "function", "arguments", "input", "args"):
                if key in value:
                    add(value[key], depth + 1)
            for key, item in value.items():
                if key not in ("name", "function", "arguments", "input", "args", "id", "type"):
                    add(item, depth + 1)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item, depth + 1)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            pieces.append(str(value))

    add(tool_calls)
    return " ".join(pieces)[:limit]


def segment_for_index(text: str) -> str:
    """Put an invisible separator around each CJK character, which has no spaces around words."""
    if not _CJK.search(text):
        return text
    return _CJK.sub(_CJK_SEPARATOR + r"\1" + _CJK_SEPARATOR, text)


def _term_patterns(query: SearchQuery) -> list[re.Pattern[str]]:
    patterns = []
    for term in query.phrases + query.words:
        body = r"\W+".join(re.escape(part) for part in _token_parts(term))
        if body:
            patterns.append(re.compile(_bounded(body, term, end=True), re.IGNORECASE))
    for term in query.prefixes:
        body = r"\W+".join(re.escape(part) for part in _token_parts(term))
        if body:
            patterns.append(re.compile(_bounded(body, term, end=False) + r"\w*", re.IGNORECASE))
    return patterns


def _token_parts(term: str) -> list[str]:
    return [part for part in re.split(r"[\W_]+", term) if part]


def _bounded(body: str, term: str, end: bool) -> str:
    """Word boundaries like the tokenizer's, except around CJK (no spaces there)."""
    start = "" if _CJK.match(term[:1] or " ") else r"(?<![^\W_])"
    finish = "" if (not end or _CJK.match(term[-1:] or " ")) else r"(?![^\W_])"
    return start + body + finish


def matches_text(text: str, query: SearchQuery) -> bool:
    """Whether every term occurs in ``text`` (case-insensitive): for sources without an index."""
    patterns = _term_patterns(query)
    return bool(patterns) and all(p.search(text) for p in patterns)


def make_snippet(
    text: str, query: SearchQuery, width: int = _SNIPPET_WIDTH
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A one-line excerpt of ``text`` around the first match, and the matched ranges in it.

    Ranges are ``(start, end)`` offsets into the excerpt, so a host escapes the text and wraps
    them itself (no markup to trust). ``…`` marks cut ends.
    """
    flat = _WHITESPACE.sub(" ", text.replace(_CJK_SEPARATOR, "")).strip()
    patterns = _term_patterns(query)
    first = None
    for pattern in patterns:
        found = pattern.search(flat)
        if found and (first is None or found.start() < first):
            first = found.start()
    start = 0 if first is None else max(0, first - width // 3)
    if start:
        space = flat.find(" ", start, start + 20)
        start = space + 1 if space != -1 else start
    excerpt = flat[start : start + width]
    head = "…" if start > 0 else ""
    tail = "…" if start + width < len(flat) else ""
    excerpt = head + excerpt + tail
    ranges: list[tuple[int, int]] = []
    for pattern in patterns:
        ranges.extend(m.span() for m in pattern.finditer(excerpt) if m.end() > m.start())
    return excerpt, _merged_ranges(ranges)


def title_score(title: str, query: SearchQuery) -> float:
    """How much of ``title`` the query covers, from 0.5 (a few words of a long title) to 1.0
    (the title is what was typed): an exact title match ranks first among title hits.

    Every source scores titles with this, so title hits from different sources compare fairly.
    A title the index matched but these patterns do not (accents folded) scores 0.5.
    """
    flat = _WHITESPACE.sub(" ", title.replace(_CJK_SEPARATOR, "")).strip()
    if not flat:
        return 0.5
    ranges: list[tuple[int, int]] = []
    for pattern in _term_patterns(query):
        ranges.extend(m.span() for m in pattern.finditer(flat) if m.end() > m.start())
    wanted = sum(1 for ch in flat if _searchable(ch))
    matched = sum(
        1 for start, end in _merged_ranges(ranges) for ch in flat[start:end] if _searchable(ch)
    )
    if not wanted:
        return 0.5
    return 0.5 + 0.5 * min(1.0, matched / wanted)


def relevance_score(bm25: float) -> float:
    """A bm25 rank (SQLite FTS5: lower is better, usually negative) as a score in [0, 1).

    ``x / (1 + x)`` of ``x = -bm25``: keeps bm25's order, so ``ORDER BY bm25(t)`` and this
    score rank alike. In SQL, for an exact tie-break in the same order:
    ``max(0.0, -bm25(t)) / (1.0 + max(0.0, -bm25(t)))``.
    """
    if not math.isfinite(bm25):
        return 0.0
    strength = max(0.0, -float(bm25))
    return strength / (1.0 + strength)


def _merged_ranges(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


# ── answers ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One match. ``position`` is the index of the matched message in the session's
    ``messages`` (Web UI) or its transcript (read-only sources): open the session and scroll
    there. Title matches have ``match_type == "title"`` and ``position`` ``None``.
    ``score`` is higher for better matches; ``highlights`` are ranges in ``snippet``."""

    session_id: str
    source: str
    snippet: str
    score: float
    match_type: str = MATCH_CONTENT
    position: int | None = None
    title: str | None = None
    role: str | None = None
    timestamp: float | None = None
    profile: str | None = None
    highlights: tuple[tuple[int, int], ...] = ()

    def marked(self, start: str = "[", end: str = "]") -> str:
        """The snippet with each highlight wrapped in ``start``/``end`` (for plain-text views)."""
        pieces = []
        cursor = 0
        for begin, finish in self.highlights:
            pieces.append(self.snippet[cursor:begin])
            pieces.append(start + self.snippet[begin:finish] + end)
            cursor = finish
        pieces.append(self.snippet[cursor:])
        return "".join(pieces)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "source": self.source,
            "match_type": self.match_type,
            "position": self.position,
            "title": self.title,
            "role": self.role,
            "timestamp": self.timestamp,
            "profile": self.profile,
            "score": self.score,
            "snippet": self.snippet,
            "highlights": [list(r) for r in self.highlights],
        }


@dataclass(frozen=True, slots=True)
class SearchResults:
    """Hits best first, and what went wrong or was repaired on the way (a rebuilt index, a
    source that failed). ``sources`` names the sources that answered."""

    hits: tuple[SearchHit, ...] = ()
    problems: tuple[Problem, ...] = ()
    sources: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "hits": [hit.to_dict() for hit in self.hits],
            "problems": [problem.to_dict() for problem in self.problems],
            "sources": list(self.sources),
        }


def rank_key(hit: SearchHit) -> tuple[int, float, float, str, str, int]:
    """The order of hits, a total one: title matches first, then higher score, then newer,
    then source, session id and position (so equal scores never rank by chance).

    Sources cut their answers in this order too: with the same order everywhere, the first N
    hits of a search for N+k are exactly the hits of a search for N (docs/search.md).
    """
    score = hit.score if math.isfinite(hit.score) else 0.0
    stamp = hit.timestamp if hit.timestamp is not None and math.isfinite(hit.timestamp) else 0.0
    return (
        0 if hit.match_type == MATCH_TITLE else 1, -score, -stamp, hit.source, hit.session_id,
        -1 if hit.position is None else hit.position,
    )


_Tag = TypeVar("_Tag")


def first_in_rank_order(
    rows: Iterable[tuple[_Tag, SearchHit]], query: SearchQuery
) -> list[tuple[_Tag, SearchHit]]:
    """The first hits in :func:`rank_key` order, at most ``query.per_session`` per session and
    ``query.limit`` in all, each with the tag it came with (a rowid, to fetch its text later).

    ``rows`` gives every title hit first, in any order (all are read, then sorted), then the
    message hits already in rank order, as an index query ordered by score, time, session id
    and position gives them (read only until the limit is met). Collapsing per session before
    cutting, in one order, is what makes top-N a prefix of top-(N+k).
    """
    titles: list[tuple[_Tag, SearchHit]] = []
    per_session: dict[str, int] = {}
    kept: list[tuple[_Tag, SearchHit]] = []

    def keep(tag: _Tag, hit: SearchHit) -> bool:
        """Keep ``hit`` unless its session has enough hits; True once the limit is met."""
        if per_session.get(hit.session_id, 0) < query.per_session:
            per_session[hit.session_id] = per_session.get(hit.session_id, 0) + 1
            kept.append((tag, hit))
        return len(kept) >= query.limit

    def keep_titles() -> bool:
        return any(keep(tag, hit) for tag, hit in sorted(titles, key=lambda row: rank_key(row[1])))

    titles_done = False
    for tag, hit in rows:
        if hit.match_type == MATCH_TITLE and not titles_done:
            titles.append((tag, hit))
            continue
        if not titles_done:
            titles_done = True
            if keep_titles():
                return kept
        if keep(tag, hit):
            return kept
    if not titles_done:
        keep_titles()
    return kept


def merge_results(answers: Iterable[SearchResults], query: SearchQuery) -> SearchResults:
    """One ranked list from every source in :func:`rank_key` order (title matches first, then
    by score, then newest); at most ``query.per_session`` hits per session and
    ``query.limit`` in all. Collapsing per session comes before the cut, in rank order."""
    hits: list[SearchHit] = []
    problems: list[Problem] = []
    sources: list[str] = []
    for answer in answers:
        hits.extend(answer.hits)
        problems.extend(answer.problems)
        sources.extend(s for s in answer.sources if s not in sources)
    hits.sort(key=rank_key)
    kept: list[SearchHit] = []
    per_session: dict[str, int] = {}
    seen: set[tuple[str, int | None]] = set()
    for hit in hits:
        if (hit.session_id, hit.position) in seen:
            continue  # the same message found by two sources (a Web UI copy of an agent session)
        if per_session.get(hit.session_id, 0) >= query.per_session:
            continue
        seen.add((hit.session_id, hit.position))
        per_session[hit.session_id] = per_session.get(hit.session_id, 0) + 1
        kept.append(hit)
        if len(kept) >= query.limit:
            break
    return SearchResults(tuple(kept), tuple(problems), tuple(sources))


def limit_results(
    query: SearchQuery, hits: Iterable[SearchHit], problems: Iterable[Problem], source: str
) -> SearchResults:
    """A source's answer cut to the query's limits (a convenience for implementations)."""
    answer = SearchResults(tuple(hits), tuple(problems), (source,))
    merged = merge_results([answer], query)
    return replace(merged, sources=(source,))


def index_progress(context: WithState, source: str) -> IndexProgress | None:
    """The callback a source calls as it (re)indexes during a search, or None if nobody
    asked: ``progress = index_progress(context, "my_source"); progress(done, total)``."""
    return progress_for(context, INDEXING, source)
