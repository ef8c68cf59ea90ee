"""What a session's subagents recorded using, for ``hermes-sessions usage`` (S9.10).

A subagent's API calls are spent on its parent's behalf, yet they are not in the parent row's
token totals (S4.14 counts the row's own responses). When a listing is asked for them
(``subagent_usage``, which ``hermes-sessions usage`` sets), each linked transcript is read
whole, once per file version, and its responses join the parent row's ``usage`` entries, each
once under its own message id. Sidebar listings never pay for this read.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from hermes_sessions_core.models import Problem
from hermes_sessions_core.usage import UsageTally

from .cache import SummaryCache
from .counts import advance_counts, usage_records_of
from .discovery import SubagentFile
from .settings import SOURCE_NAME

__all__ = ["usage_of_subagents"]


def _usage_of(
    agent: SubagentFile, cache: SummaryCache, max_line_bytes: int, problems: list[Problem]
) -> tuple[Any, ...]:
    key = (agent.mtime_ns, agent.size)
    known: tuple[Any, ...] | None = cache.agent_usage.get(agent.path, key)
    if known is not None:
        return known
    try:
        # The whole file (budget 0); its inode only keys resumption, which this never does.
        state, _read = advance_counts(
            agent.path, 0, agent.size, None, 0, max_line_bytes, sidechains=True
        )
    except FileNotFoundError:
        return ()  # Claude Code removed it since the scan: a race, not damage
    except OSError as error:  # its usage is missing from the totals: say so
        problems.append(Problem.from_exception(
            SOURCE_NAME, "hermes_sessions_list_rows", error, path=agent.path))
        return ()
    records = usage_records_of(state)
    if not records and any(state.tokens):
        # A response without a time: the transcript's totals are one entry, on the day the
        # file was last written (as a row's totals count on its last activity).
        given, output, creation, read = state.tokens
        tally = UsageTally()
        tally.add(None, agent.mtime_ns / 1e9, None, input_tokens=given, output_tokens=output,
                  cache_write_tokens=creation, cache_read_tokens=read)
        records = tuple(tally.records())
    cache.agent_usage.put(agent.path, key, records)
    return records


def usage_of_subagents(
    agents: Sequence[SubagentFile], cache: SummaryCache, max_line_bytes: int,
    problems: list[Problem], each: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Usage records (per day and model) of every response in these subagent transcripts;
    a transcript that cannot be read is a problem; ``each()`` is called as each transcript
    is done (a progress bar's step)."""
    records: list[dict[str, Any]] = []
    for agent in agents:
        records.extend(
            dict(record) for record in _usage_of(agent, cache, max_line_bytes, problems))
        if each is not None:
            each()
    return records
