"""The Codex listing: the most recent rollouts, each summarised once per file version.

Each call stats every rollout once, keeps the ``max_files`` most recently modified, and reads
only files whose (path, ``mtime_ns``, size) changed since the last call. Small files are
parsed whole (exact figures); larger ones are summarised from a head and tail window and made
exact by a replay of at most ``count_scan_bytes`` per listing (what is left after summarising
changed files; see :mod:`.counts`); until then their rows say ``stats_estimated``. Sub-agent
threads are linked to their parent row, never listed. One bad file becomes a problem record;
the rest of the listing stands.
"""

from __future__ import annotations

import os
from typing import Iterable

from hermes_sessions_core.models import Problem, SessionRow, SourceListing
from hermes_sessions_core.progress_reports import Progress, Steps
from hermes_sessions_core.read_ahead import cached_or_read_ahead, head_and_tail

from .cache import NOT_A_ROLLOUT, CodexCache
from .counts import CountState, advance_counts, exact_summary
from .discovery import RolloutFile, discover
from .forks import forks_without_copies
from .parse import parse_rollout
from .rows import row_from_summary
from .settings import SOURCE_NAME, CodexSettings
from .summary import NotARollout, RolloutSummary
from .window_scan import summarise_windows

__all__ = [
    "list_codex_rows", "summarise_file", "summary_for", "link_children", "with_exact_counts",
]

_HOOK = "hermes_sessions_list_rows"


def summarise_file(file: RolloutFile, settings: CodexSettings) -> RolloutSummary:
    """Summarise one file version. May raise OSError or NotARollout."""
    if file.size <= settings.full_scan_bytes:
        return parse_rollout(file, settings, keep_outputs=False).summary
    return summarise_windows(file, settings)


def summary_for(
    file: RolloutFile, settings: CodexSettings, cache: CodexCache, hook: str = _HOOK
) -> tuple[RolloutSummary | None, Problem | None]:
    """The cached summary of this file version, else a fresh one (cached); never raises."""
    cached = cache.summaries.get(file.path, file.key)
    if cached is not None:
        return (None if cached is NOT_A_ROLLOUT else cached), None
    try:
        summary = summarise_file(file, settings)
    except FileNotFoundError:
        return None, Problem(SOURCE_NAME, hook, "FileVanished",
                             "rollout vanished before it could be read", file.path)
    except NotARollout as error:
        cache.summaries.put(file.path, file.key, NOT_A_ROLLOUT)
        return None, Problem(SOURCE_NAME, hook, "NotARollout", f"skipped: {error}", file.path)
    except Exception as error:  # one bad file must never empty the listing (S4.19)
        return None, Problem.from_exception(SOURCE_NAME, hook, error, path=file.path)
    cache.summaries.put(file.path, file.key, summary)
    cache.remember_path(file.thread_id, file.path, file.archived)
    return summary, None


def with_exact_counts(
    file: RolloutFile, summary: RolloutSummary, cache: CodexCache, budget: int,
    settings: CodexSettings,
) -> tuple[RolloutSummary, int]:
    """``summary`` with exact figures if they are known or can be completed reading about
    ``budget`` bytes; also the bytes read. Progress is kept even when the end is not reached."""
    state: CountState | None = cache.counts.stale(file.path)
    used = 0
    if state is None or not state.complete_for(file):
        if budget <= 0:
            return summary, 0
        try:
            state, used = advance_counts(file, state, budget, settings)
        except (OSError, NotARollout):
            return summary, 0  # vanished or unreadable: the estimate stands
        cache.counts.put(file.path, (0, 0), state)
        if not state.complete_for(file):
            return summary, used
    exact = exact_summary(file, summary, state)
    cache.summaries.put(file.path, file.key, exact)
    return exact, used


def _one_per_thread(summaries: Iterable[RolloutSummary]) -> list[RolloutSummary]:
    """One summary per thread id: a thread found both live and archived (a copy left behind)
    is the live one, else the most recent; ids are never listed twice."""
    chosen: dict[str, RolloutSummary] = {}
    for summary in summaries:
        known = chosen.get(summary.thread_id)
        if known is None or (not summary.archived, summary.mtime_ns) > (
                not known.archived, known.mtime_ns):
            chosen[summary.thread_id] = summary
    return list(chosen.values())


def link_children(
    summaries: Iterable[RolloutSummary],
) -> tuple[list[RolloutSummary], dict[str, list[RolloutSummary]]]:
    """(the rows' summaries, sub-agent summaries by parent thread id). A sub-agent is never a
    row, whether or not its parent is listed."""
    rows: list[RolloutSummary] = []
    children: dict[str, list[RolloutSummary]] = {}
    for summary in _one_per_thread(summaries):
        if summary.meta.is_subagent:
            parent = summary.meta.parent_thread_id
            if parent is not None:
                children.setdefault(parent, []).append(summary)
            continue
        rows.append(summary)
    for found in children.values():
        found.sort(key=lambda child: (child.first_at or 0.0, child.thread_id))
    return rows, children


def _row(summary: RolloutSummary, children: tuple[RolloutSummary, ...],
         cache: CodexCache) -> SessionRow:
    """The row of this summary: kept (read-only, shared) from its second listing on, while
    nothing about it changes, so a warm listing builds no row (and a cold one keeps none)."""
    known = cache.row_for(summary.path, summary, children)
    if isinstance(known, SessionRow):
        return known
    if known is None:  # first listing of this summary: a plain row, and remember we met it
        cache.keep_row(summary.path, summary, children, False)
        return SessionRow.adopt(row_from_summary(summary, children))
    row = SessionRow.kept(row_from_summary(summary, children))  # listed again: keep it
    cache.keep_row(summary.path, summary, children, row)
    return row


def list_codex_rows(
    homes: Iterable[str | os.PathLike[str]],
    *,
    settings: CodexSettings | None = None,
    cache: CodexCache | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> SourceListing:
    """Rows for the rollouts under the Codex ``homes``, newest first, and the problems met;
    ``progress(done, total)`` hears of each rollout summarised, then of each counted exactly."""
    settings = settings or CodexSettings()
    cache = cache if cache is not None else CodexCache(settings.cache_entries)
    found = discover(homes)
    problems = list(found.problems)
    again = cache.last_listing
    if again is not None and again[0] == (settings, limit) and again[1] == found.files:
        # Nothing changed since a listing whose rows were all kept: the same rows serve.
        return SourceListing(SOURCE_NAME, again[2], tuple(problems))
    chosen = found.most_recent(settings.max_files)
    pairs: list[tuple[RolloutFile, RolloutSummary]] = []
    budget = settings.count_scan_bytes
    window = settings.head_bytes + settings.tail_bytes
    get_cached = cache.summaries.get
    steps = Steps(progress, len(chosen))
    # The OS reads the next new files' windows while one is summarised (a cold disk).
    for file, summary in cached_or_read_ahead(
        chosen, lambda file: get_cached(file.path, file.key),
        lambda file: head_and_tail(file.path, file.size, settings.full_scan_bytes,
                                   settings.head_bytes, settings.tail_bytes),
    ):
        steps.step()
        if summary is None:
            budget -= file.size if file.size <= settings.full_scan_bytes else window
            summary, problem = summary_for(file, settings, cache)
            if problem is not None:
                problems.append(problem)
        if summary is not None and summary is not NOT_A_ROLLOUT:
            pairs.append((file, summary))
    steps.add(sum(1 for _, summary in pairs if summary.estimated and not summary.truncated))
    for index, (file, summary) in enumerate(pairs):
        if summary.estimated and not summary.truncated:
            steps.step()
            summary, used = with_exact_counts(file, summary, cache, budget, settings)
            budget -= used
            pairs[index] = (file, summary)
    summaries, children = link_children(
        forks_without_copies((summary for _, summary in pairs), cache.forks))
    summaries.sort(key=lambda s: (-(s.last_at or 0.0), s.thread_id))
    if limit is not None and limit >= 0:
        summaries = summaries[:limit]
    rows = tuple(_row(summary, tuple(children.get(summary.thread_id, ())), cache)
                 for summary in summaries)
    settled = not any(summary.estimated and not summary.truncated for _, summary in pairs)
    cache.last_listing = None
    if settled and all(cache.row_for(s.path, s, tuple(children.get(s.thread_id, ()))) is row
                       for s, row in zip(summaries, rows)):
        cache.last_listing = ((settings, limit), found.files, rows)
    if len(found.files) != cache.files_seen:  # files came or went: drop what is gone
        cache.forget_missing(found.roots, {file.path for file in found.files})
        cache.files_seen = len(found.files)
    return SourceListing(SOURCE_NAME, rows, tuple(problems))

