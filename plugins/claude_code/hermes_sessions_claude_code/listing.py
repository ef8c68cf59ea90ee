"""The Claude Code listing: most recent transcripts, summarised once per file version.

Each call stats every candidate once, keeps the ``max_files`` most recently modified (S4.15),
and summarises only files whose (path, ``mtime_ns``, size) changed since the last call
(S4.18). Small files and legacy files (see :mod:`.legacy`) are parsed whole (exact figures);
larger ones take their title, times and model from a head and tail window (see
:mod:`.window_scan`) and their counts from an exact running tally built up a bounded number
of bytes per listing (what is left of ``count_scan_bytes`` after summarising changed files)
and resumed when the file grows (see :mod:`.counts`); until it is complete the row says
``stats_estimated``. With a ``state_file`` the cache survives restarts (see :mod:`.persist`).
Anything that goes wrong with one file becomes a problem record and the rest of the listing
stands (S0.3, S4.19).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Iterable, Sequence

from hermes_sessions_core.models import Problem, SessionRow, SourceListing
from hermes_sessions_core.progress_reports import Progress, Steps
from hermes_sessions_core.read_ahead import cached_or_read_ahead, head_and_tail
from hermes_sessions_core.usage import add_usage_records

from .cache import NOT_A_SESSION, SummaryCache, default_cache
from .counts import MAX_LINE_BYTES, CountState, advance_counts, usage_records_of
from .discovery import SubagentFile, TranscriptFile, discover
from .parse import parse_transcript
from .persist import load_state, save_state
from .rows import row_from_summary
from .settings import SOURCE_NAME, ClaudeCodeSettings
from .subagent_usage import usage_of_subagents
from .subagents import link_subagents
from .summary import FileSummary
from .window_scan import summarise_windows

__all__ = ["list_claude_code_rows", "summarise_file", "summary_for", "with_exact_counts"]

_HOOK = "hermes_sessions_list_rows"


def summarise_file(file: TranscriptFile, settings: ClaudeCodeSettings) -> FileSummary | None:
    """Summarise one file version; None when it holds no conversation. May raise OSError.

    Small files and legacy files (the window scan's byte shapes do not fit them) are parsed."""
    windowed = (
        summarise_windows(file, settings) if file.size > settings.row_full_scan_bytes else None
    )
    if windowed is None:
        parsed = parse_transcript(file, settings)
        return parsed.summary if parsed.has_conversation else None
    summary, has_conversation = windowed
    return summary if has_conversation else None


def summary_for(
    file: TranscriptFile, settings: ClaudeCodeSettings, cache: SummaryCache, hook: str = _HOOK
) -> tuple[FileSummary | None, Problem | None]:
    """The cached summary of this file version, else a fresh one (cached); never raises."""
    cached = cache.summaries.get(file.path, file.key)
    if cached is not None:
        return (None if cached == NOT_A_SESSION else cached), None
    try:
        summary = summarise_file(file, settings)
    except FileNotFoundError:
        # Claude Code deletes old transcripts (cleanupPeriodDays); a race, not damage.
        return None, Problem(SOURCE_NAME, hook, "FileVanished",
                             "transcript vanished before it could be read", file.path)
    except Exception as error:  # one bad file must never empty the listing (S4.19)
        return None, Problem.from_exception(SOURCE_NAME, hook, error, path=file.path)
    cache.summaries.put(file.path, file.key, summary if summary is not None else NOT_A_SESSION)
    if summary is not None:
        cache.remember_path(summary.session_id, file.path)
    return summary, None


def _exact(summary: FileSummary, counts: CountState) -> FileSummary:
    return dataclasses.replace(
        summary,
        message_count=counts.message_count,
        user_message_count=counts.user_message_count,
        tokens=counts.tokens,
        estimated=False,
        usage=usage_records_of(counts),
    )


def with_exact_counts(
    file: TranscriptFile, summary: FileSummary, cache: SummaryCache, budget: int,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> tuple[FileSummary, int]:
    """``summary`` with exact counts if they are known or can be completed within ``budget``
    bytes; also returns the bytes read. Progress is kept even when the end is not reached.
    Lines longer than ``max_line_bytes`` count as nothing (see :func:`.counts.advance_counts`)."""
    entry = cache.counts.peek(file.path)
    state: CountState | None = entry[1] if entry is not None else None
    used = 0
    if state is None or not state.complete_for(file.inode, file.size):
        if budget <= 0:
            return summary, 0
        try:
            state, used = advance_counts(
                file.path, file.inode, file.size, state, budget, max_line_bytes
            )
        except OSError:
            return summary, 0  # vanished or unreadable: the estimate stands
        cache.counts.put(file.path, (0, 0), state)
        if not state.complete_for(file.inode, file.size):
            return summary, used
    exact = _exact(summary, state)
    cache.summaries.put(file.path, file.key, exact)
    return exact, used


def _row(
    file: TranscriptFile, summary: FileSummary, agents: Sequence[SubagentFile],
    settings: ClaudeCodeSettings, cache: SummaryCache, steps: Steps, problems: list[Problem],
) -> dict[str, Any]:
    row = row_from_summary(summary, agents)
    if settings.subagent_usage and (agents or summary.inline_subagents):
        add_usage_records(row, usage_of_subagents(
            file, bool(summary.inline_subagents), agents, cache, settings.max_file_bytes,
            problems, steps.step))
    return row


def list_claude_code_rows(
    roots: Iterable[str | os.PathLike[str]],
    *,
    settings: ClaudeCodeSettings | None = None,
    cache: SummaryCache | None = None,
    limit: int | None = None,
    state_file: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> SourceListing:
    """Rows for the transcripts under ``roots``, newest first, plus the problems met.

    ``overrides`` take setting names (``max_files=50``); ``limit`` cuts the sorted rows;
    ``state_file`` keeps the cache on disk between processes; ``progress(done, total)`` hears
    of each file summarised, then of each file counted exactly.
    """
    settings = settings or ClaudeCodeSettings.from_context(None, **overrides)
    cache = cache if cache is not None else default_cache()
    if state_file is not None:
        load_state(state_file, cache)
    found = discover(roots)
    problems = list(found.problems)
    chosen = found.most_recent(settings.max_files)
    summaries: list[tuple[TranscriptFile, FileSummary]] = []
    # Exact counts get what is left of the budget once changed files are summarised, so a
    # listing reads about max(count_scan_bytes, what its new rows need): a cold listing of many
    # large files spends nothing on counts, and later (warm) listings complete them.
    budget = settings.count_scan_bytes
    learned = False
    get_cached = cache.summaries.get
    full_scan = settings.row_full_scan_bytes
    window = settings.head_bytes + settings.row_tail_bytes
    steps = Steps(progress, len(chosen))
    # The OS reads the next new files' windows while one is summarised (a cold disk).
    for file, summary in cached_or_read_ahead(
        chosen, lambda file: get_cached(file.path, file.key),
        lambda file: head_and_tail(
            file.path, file.size, full_scan, settings.head_bytes, settings.row_tail_bytes),
    ):
        steps.step()
        if summary is None:
            learned = True
            budget -= file.size if file.size <= full_scan else min(file.size, window)
            summary, problem = summary_for(file, settings, cache)
            if problem is not None:
                problems.append(problem)
        if summary is not None and summary != NOT_A_SESSION:
            summaries.append((file, summary))
    steps.add(sum(1 for _, summary in summaries if summary.estimated))
    for index, (file, summary) in enumerate(summaries):
        if summary.estimated:  # a count already complete applies even with no budget left
            steps.step()
            summary, used = with_exact_counts(
                file, summary, cache, budget, settings.max_file_bytes
            )
            budget -= used
            learned = learned or used > 0
            summaries[index] = (file, summary)
    linked, link_problems = link_subagents(
        (f for f, _ in summaries), found.flat_agents, cache, found.folders
    )
    problems.extend(link_problems)
    summaries.sort(key=lambda pair: (-(pair[1].last_at or 0.0), pair[1].session_id))
    if limit is not None and limit >= 0:
        summaries = summaries[:limit]
    if settings.subagent_usage:
        steps.add(sum(len(linked.get(file.path, ())) for file, _ in summaries))
    rows = tuple(
        SessionRow.adopt(
            _row(file, summary, linked.get(file.path, ()), settings, cache, steps, problems))
        for file, summary in summaries
    )
    present = found.paths()
    present.update(agent.path for agents in linked.values() for agent in agents)
    cache.forget_missing(found.roots, present)
    if state_file is not None and learned:
        try:
            agents = (agent for files in found.flat_agents.values() for agent in files)
            save_state(state_file, cache, chosen, agents)
        except OSError as error:
            problems.append(
                Problem.from_exception(SOURCE_NAME, _HOOK, error, path=os.fspath(state_file))
            )
    return SourceListing(SOURCE_NAME, rows, tuple(problems))
