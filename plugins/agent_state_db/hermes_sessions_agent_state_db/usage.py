"""The usage the agent recorded for a conversation: one entry per segment of its chain.

The agent keeps token counters and cost per session row; a compressed conversation is a chain
of rows (S3.5), each counting its own requests, so the conversation's usage is the sum over
its segments, not the tip's counters alone. Cost is ``actual_cost_usd`` when the agent
recorded one, else its own ``estimated_cost_usd`` (the agent priced it, not us); a segment
with neither has no cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hermes_sessions_core.times import to_epoch
from hermes_sessions_core.usage import UsageTally

from .continuation import Walk
from .graph import LineageGraph
from .message_stats import MessageStats

__all__ = ["chain_usage"]


def chain_usage(
    graph: LineageGraph, walk: Walk, stats: Mapping[str, MessageStats],
    last_activity: Any,
) -> list[dict[str, Any]]:
    """Per (day, model) usage records of every segment of ``walk``, each segment on the day
    of its own last activity."""
    tally = UsageTally()
    for segment in walk.segments:
        record = graph.get(segment)
        if record is None:
            continue
        at = last_activity(record, stats.get(segment)) or to_epoch(record.get("started_at"))
        actual = record.get("actual_cost_usd")
        tally.add(
            segment, at, record.get("model") if isinstance(record.get("model"), str) else None,
            input_tokens=record.get("input_tokens"),
            output_tokens=record.get("output_tokens"),
            cache_read_tokens=record.get("cache_read_tokens"),
            cache_write_tokens=record.get("cache_write_tokens"),
            reasoning_tokens=record.get("reasoning_tokens"),
            cost=actual if actual is not None else record.get("estimated_cost_usd"),
        )
    return tally.records()
