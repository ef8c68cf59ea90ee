"""A fork's usage without what it copied from its source thread.

Codex starts a fork (a backtrack, ``codex fork``, or a sub-agent given its parent's context)
by copying the source thread's records as they were, ``token_count`` events included, and
continues the cumulative total from there. Counted as they stand, the source's requests would
count twice: once in the source, once in the fork. The copied requests are the fork's first
ones whose cumulative totals run equal to the source's, in order (a copy is a prefix of the
source; a later fork of a fork copies its source's copy too), so the fork's usage keeps only
what follows. When the source thread is not among the rollouts read (deleted, or on another
root), nothing can be told apart and the fork counts whole.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from hermes_sessions_core.usage import UsageTally

from .summary import RolloutSummary

__all__ = ["copied_prefix", "without_copied_requests", "forks_without_copies"]


def copied_prefix(fork: RolloutSummary, source: RolloutSummary) -> int:
    """How many of the fork's first requests are copies of the source's."""
    count = 0
    for mine, theirs in zip(fork.request_digests, source.request_digests):
        if mine != theirs:
            break
        count += 1
    return count


def without_copied_requests(fork: RolloutSummary, source: RolloutSummary) -> RolloutSummary:
    """``fork`` with usage entries of its own requests only (unchanged if it copied none)."""
    copied = copied_prefix(fork, source)
    if copied == 0 or len(fork.requests) != len(fork.request_digests):
        return fork
    tally = UsageTally()
    for digest, at, model, given, output, cached, reasoning in fork.requests[copied:]:
        tally.add(f"request:{digest}", at, model, input_tokens=given, output_tokens=output,
                  cache_read_tokens=cached, reasoning_tokens=reasoning)
    return dataclasses.replace(
        fork, usage=tuple(tuple(record.items()) for record in tally.records()),
        copied_requests=copied,
    )


#: (fork summary, source summary, the fork's adjusted summary), by the fork's path.
Adjusted = dict[str, tuple[RolloutSummary, RolloutSummary, RolloutSummary]]


def forks_without_copies(
    summaries: Iterable[RolloutSummary], adjusted: Adjusted,
) -> list[RolloutSummary]:
    """The summaries with each fork's usage its own, when its source is among them.

    ``adjusted`` remembers each fork's result between listings, for the very summary objects
    it came from, so an unchanged fork is the same object every time (rows built from it are
    kept and reused)."""
    listed = list(summaries)
    by_thread = {summary.thread_id: summary for summary in listed}
    result = []
    for summary in listed:
        source_id = summary.meta.forked_from_id
        source = by_thread.get(source_id) if source_id is not None else None
        if source is None or source is summary or not summary.requests:
            result.append(summary)
            continue
        known = adjusted.get(summary.path)
        if known is None or known[0] is not summary or known[1] is not source:
            known = adjusted[summary.path] = (
                summary, source, without_copied_requests(summary, source))
        result.append(known[2])
    if len(adjusted) > 2 * len(listed) + 64:  # forks no longer listed
        paths = {summary.path for summary in listed}
        for path in [path for path in adjusted if path not in paths]:
            del adjusted[path]
    return result
