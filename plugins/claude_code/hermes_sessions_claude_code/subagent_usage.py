"""What a session's subagents recorded using, for ``hermes-sessions usage`` (S9.10).

A subagent's API calls are spent on its parent's behalf, yet they are not in the parent row's
token totals (S4.14 counts the row's own responses). When a listing is asked for them
(``subagent_usage``, which ``hermes-sessions usage`` sets), each linked subagent transcript is
read whole, and so is a 1.0.x transcript that holds its subagents' turns inline (sidechain
lines), once per file version; their responses join the parent row's ``usage`` entries, each
once under its own message id. Sidebar listings never pay for this read.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from hermes_sessions_core.models import Problem
from hermes_sessions_core.usage import UsageTally

from .cache import SummaryCache
from .counts import Responses, advance_counts, usage_records_of
from .discovery import SubagentFile, TranscriptFile
from .settings import SOURCE_NAME

__all__ = ["usage_of_subagents"]


def _usage_of(
    path: str, mtime_ns: int, size: int, responses: Responses, cache: SummaryCache,
    max_line_bytes: int, problems: list[Problem],
) -> tuple[Any, ...]:
    """The usage records of the chosen responses of one file version (cached)."""
    key = (mtime_ns, size, responses)
    known: tuple[Any, ...] | None = cache.subagent_usage.get(path, key)
    if known is not None:
        return known
    try:
        # The whole file (budget 0); the inode only keys resumption, which this never does.
        state, _read = advance_counts(
            path, 0, size, None, 0, max_line_bytes, responses=responses
        )
    except FileNotFoundError:
        return ()  # Claude Code removed it since the scan: a race, not damage
    except OSError as error:  # its usage is missing from the totals: say so
        problems.append(Problem.from_exception(
            SOURCE_NAME, "hermes_sessions_list_rows", error, path=path))
        return ()
    records = usage_records_of(state)
    if not records and any(state.tokens):
        # A response without a time: the file's totals are one entry, on the day it was last
        # written (as a row's totals count on its last activity).
        given, output, creation, read = state.tokens
        tally = UsageTally()
        tally.add(None, mtime_ns / 1e9, None, input_tokens=given, output_tokens=output,
                  cache_write_tokens=creation, cache_read_tokens=read)
        records = tuple(tally.records())
    cache.subagent_usage.put(path, key, records)
    return records


def usage_of_subagents(
    session: TranscriptFile, inline: bool, agents: Sequence[SubagentFile],
    cache: SummaryCache, max_line_bytes: int, problems: list[Problem],
    each: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Usage records (per day and model) of every subagent response of one session: its
    sidechain lines when ``inline`` (a 1.0.x transcript that showed some), then each subagent
    transcript's; one that cannot be read is a problem; ``each()`` is called as each
    subagent transcript is done (a progress bar's step)."""
    found: list[tuple[Any, ...]] = []
    if inline:
        found.append(_usage_of(session.path, session.mtime_ns, session.size, "sidechain",
                               cache, max_line_bytes, problems))
    for agent in agents:
        found.append(_usage_of(agent.path, agent.mtime_ns, agent.size, "all", cache,
                               max_line_bytes, problems))
        if each is not None:
            each()
    return [dict(record) for records in found for record in records]
