"""The Gemini CLI listing: most recent chats, each file version summarised once.

Each call stats every chat once, keeps the ``max_files`` most recently modified, and
summarises only files whose (path, ``mtime_ns``, size) changed since the last call. Files up
to ``row_full_scan_bytes`` are parsed whole (exact rows); larger ones are summarised from a
head and a tail window (:mod:`.window_scan`), and what is left of ``exact_scan_bytes`` after
that is spent parsing estimated files whole, newest first, so later listings make them exact
(a file larger than the whole budget is parsed by a listing that had nothing else to read).
Sub-agent chats are never rows: those in ``chats/<parent>/`` are counted on their parent's
row; a ``kind: "subagent"`` chat elsewhere names no parent and is left out. Two files with one
``sessionId`` (a ``.json`` Gemini migrated to ``.jsonl`` on resume) are one row: the newer.
Anything that goes wrong with one file becomes a problem record; the rest stands.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterable

from hermes_sessions_core.models import Problem, SessionRow, SourceListing
from hermes_sessions_core.progress_reports import Progress, Steps
from hermes_sessions_core.read_ahead import cached_or_read_ahead, head_and_tail
from hermes_sessions_core.usage import add_usage_records

from .cache import NOT_A_SESSION, SourceCache, default_cache
from .discovery import ChatFile, Discovery, SubagentFile, discover
from .reading import parse_chat
from .rows import row_from_summary
from .settings import SOURCE_NAME, GeminiSettings
from .summary import ChatSummary, summarise
from .window_scan import summarise_windows
from .workspace import workspace_for

__all__ = [
    "list_gemini_rows", "summary_for", "exact_summary", "preferred", "subagents_of", "row_for",
    "usage_of_subagents",
]

_HOOK = "hermes_sessions_list_rows"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def exact_summary(file: ChatFile, settings: GeminiSettings) -> ChatSummary | None:
    """Parse the file whole; may raise OSError."""
    parsed = parse_chat(file, settings)
    if parsed.truncated and not parsed.conversation.messages and not file.is_jsonl:
        return summarise_windows(file, settings)  # a .json over the cap: windows are all we have
    return summarise(parsed.conversation, file.path, file.mtime_ns, truncated=parsed.truncated,
                     max_chars=settings.max_content_chars)


def _summarise(file: ChatFile, settings: GeminiSettings) -> tuple[ChatSummary | None, int]:
    if file.size > settings.row_full_scan_bytes:
        windowed = summarise_windows(file, settings)
        if windowed is not None:
            return windowed, min(file.size, settings.head_bytes + settings.tail_bytes)
    return exact_summary(file, settings), file.size


def summary_for(
    file: ChatFile, settings: GeminiSettings, cache: SourceCache, hook: str = _HOOK,
    *, exact: bool = False,
) -> tuple[ChatSummary | None, Problem | None, int]:
    """The cached summary of this file version, else a fresh one (cached), and the bytes read;
    never raises. ``exact`` asks for a whole parse when the cached one is estimated."""
    cached = cache.summaries.get(file.path, file.key)
    if cached is not None and not (exact and cached != NOT_A_SESSION and cached.estimated):
        return (None if cached == NOT_A_SESSION else cached), None, 0
    try:
        if exact:
            summary, used = exact_summary(file, settings), file.size
        else:
            summary, used = _summarise(file, settings)
    except FileNotFoundError:
        return None, Problem(SOURCE_NAME, hook, "FileVanished",
                             "chat vanished before it could be read", file.path), 0
    except Exception as error:  # one bad file must never empty the listing
        return None, Problem.from_exception(SOURCE_NAME, hook, error, path=file.path), 0
    cache.summaries.put(file.path, file.key, summary if summary is not None else NOT_A_SESSION)
    if summary is None:
        return None, Problem(
            SOURCE_NAME, hook, "NotAChat",
            "no Gemini CLI session record (sessionId) could be read; skipped", file.path,
        ), used
    cache.remember_path(summary.native_id, file.path)
    return summary, None, used


def preferred(
    pairs: Iterable[tuple[ChatFile, ChatSummary]],
) -> dict[str, tuple[ChatFile, ChatSummary]]:
    """One (file, summary) per ``sessionId``: the latest activity, ``.jsonl`` on a tie."""
    chosen: dict[str, tuple[ChatFile, ChatSummary]] = {}
    for file, summary in pairs:
        if summary.kind == "subagent":
            continue
        known = chosen.get(summary.native_id)
        rank = (summary.last_at or 0.0, file.is_jsonl, file.mtime_ns)
        if known is None or rank > (known[1].last_at or 0.0, known[0].is_jsonl, known[0].mtime_ns):
            chosen[summary.native_id] = (file, summary)
    return chosen


def subagents_of(found: Discovery, file: ChatFile, native_id: str) -> list[SubagentFile]:
    """The sub-agent chats Gemini filed under this session (folder = its ``sessionId``)."""
    by_name = found.subagents.get((file.project_dir, native_id))
    if by_name is None:
        by_name = found.subagents.get((file.project_dir, _UNSAFE.sub("_", native_id)))
    return list(by_name or ())


def row_for(
    found: Discovery, file: ChatFile, summary: ChatSummary, cache: SourceCache,
    subagent_usage: tuple[dict[str, Any], ...] | None = None,
) -> SessionRow:
    """The row of one chat: the one built last time while nothing it shows changed, so a warm
    listing builds no row (rows are ``SessionRow.kept``: no caller can change them).
    ``subagent_usage``, when given, joins the row's usage entries (see
    :func:`usage_of_subagents`)."""
    workspace = workspace_for(summary, file.project_dir, found.project_roots.get(file.project_dir),
                              cache)
    subagents = tuple(subagents_of(found, file, summary.native_id))
    built = cache.rows.get(file.path, file.key)
    if built is not None and built[0] is summary and built[1] == workspace \
            and built[2] == subagents and built[4] == subagent_usage:
        row: SessionRow = built[3]
        return row
    values = row_from_summary(summary, workspace, file.project, subagents)
    if subagent_usage:
        add_usage_records(values, subagent_usage)
    row = SessionRow.kept(values)
    cache.rows.put(file.path, file.key, (summary, workspace, subagents, row, subagent_usage))
    return row


def usage_of_subagents(
    found: Discovery, file: ChatFile, summary: ChatSummary, settings: GeminiSettings,
    cache: SourceCache, problems: list[Problem], steps: Steps,
) -> tuple[dict[str, Any], ...]:
    """What the chat's sub-agents recorded using: each sub-agent chat parsed whole (cached per
    file version) for its usage entries. Sub-agents are never rows, and a row's own token
    totals stay its own, so this is for ``hermes-sessions usage`` (``subagent_usage``)."""
    records: list[dict[str, Any]] = []
    for agent in subagents_of(found, file, summary.native_id):
        chat = ChatFile(agent.path, file.project_dir, agent.mtime_ns, agent.size)
        spent, problem, _used = summary_for(chat, settings, cache, exact=True)
        if problem is not None:
            problems.append(problem)
        elif spent is not None:
            records.extend(spent.usage_records())
        steps.step()
    return tuple(records)


def list_gemini_rows(
    roots: Iterable[str | os.PathLike[str]],
    *,
    settings: GeminiSettings | None = None,
    cache: SourceCache | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    **overrides: int,
) -> SourceListing:
    """Rows for the chats under ``roots`` (``<.gemini>/tmp`` folders), newest first, plus the
    problems met. ``overrides`` take setting names (``max_files=50``); ``progress(done,
    total)`` hears of each chat summarised, then of each read whole for exact counts."""
    settings = settings or GeminiSettings.from_context(None, **overrides)
    cache = cache if cache is not None else default_cache()
    found = discover(roots)
    problems = list(found.problems)
    chosen = found.most_recent(settings.max_files)
    budget = settings.exact_scan_bytes
    pairs: list[tuple[ChatFile, ChatSummary]] = []
    get_cached = cache.summaries.get
    steps = Steps(progress, len(chosen))
    # The OS reads the next new files' windows while one is summarised (a cold disk).
    for file, summary in cached_or_read_ahead(
        chosen, lambda file: get_cached(file.path, file.key),
        lambda file: head_and_tail(file.path, file.size, settings.row_full_scan_bytes,
                                   settings.head_bytes, settings.tail_bytes),
    ):
        steps.step()
        if summary is None:
            summary, problem, used = summary_for(file, settings, cache)
            budget -= used
            if problem is not None:
                problems.append(problem)
        if summary is not None and summary != NOT_A_SESSION:
            pairs.append((file, summary))
    steps.add(sum(1 for _, summary in pairs if summary.estimated and not summary.truncated))
    for index, (file, summary) in enumerate(pairs):
        if budget <= 0:
            break
        # A file larger than the whole budget is parsed by a listing that read nothing else.
        fits = file.size <= budget or budget == settings.exact_scan_bytes
        if summary.estimated and fits and not summary.truncated:
            steps.step()
            exact, problem, used = summary_for(file, settings, cache, exact=True)
            budget -= used
            if problem is not None:
                problems.append(problem)
            elif exact is not None:
                pairs[index] = (file, exact)
    kept = sorted(preferred(pairs).values(),
                  key=lambda pair: (-(pair[1].last_at or 0.0), pair[1].native_id))
    if limit is not None and limit >= 0:
        kept = kept[:limit]
    if settings.subagent_usage:
        steps.add(sum(len(subagents_of(found, file, summary.native_id)) for file, summary in kept))
        rows = tuple(
            row_for(found, file, summary, cache, usage_of_subagents(
                found, file, summary, settings, cache, problems, steps))
            for file, summary in kept
        )
    else:
        rows = tuple(row_for(found, file, summary, cache) for file, summary in kept)
    present = found.paths()
    present.update(agent.path for agents in found.subagents.values() for agent in agents)
    cache.forget_missing(found.roots, present)
    return SourceListing(SOURCE_NAME, rows, tuple(problems))
