"""Recorded usage: tokens and cost as an agent wrote them down, never estimated here.

A source that reads an agent's usage feeds each API message to a :class:`UsageTally` under
that message's own id, so a message recorded twice (Claude Code writes one line per content
block, each with the same usage) counts once. The tally gives one record per (day, model):
rows carry them as ``row["usage"]``, and ``hermes-sessions usage`` sums them by day, source,
model and machine. ``cost`` stays ``None`` unless the agent recorded one: prices are never
invented (a model's price changes, and a guess shown as a fact is worse than a gap).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

__all__ = [
    "USAGE_KEY", "TOKEN_FIELDS", "UsageTally", "merge_records", "usage_day", "usage_records_of",
    "add_usage_records",
]

#: The row key holding a list of per-(day, model) records (see :meth:`UsageTally.records`).
USAGE_KEY = "usage"
#: Token counts every record has, in display order.
TOKEN_FIELDS = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "reasoning_tokens",
)


def usage_day(at: float | None) -> str | None:
    """The local calendar day of an epoch time (what ccusage and the agents' own reports
    call a day), or None for a missing or absurd time."""
    if at is None or not isinstance(at, (int, float)) or not math.isfinite(at) or at <= 0:
        return None
    try:
        return time.strftime("%Y-%m-%d", time.localtime(at))
    except (OverflowError, OSError, ValueError):
        return None


def _count(value: Any) -> int:
    """A recorded token count: a non-negative finite integer, else 0 (hostile input)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    if not math.isfinite(value) or value < 0:
        return 0
    return int(value)


def _cost(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return float(value)


@dataclass
class _Message:
    day: str | None
    model: str | None
    counts: tuple[int, int, int, int, int]
    cost: float | None


class UsageTally:
    """Usage per API message, de-duplicated by message id; the last report of an id wins
    (agents that stream rewrite a message's usage as it grows)."""

    def __init__(self) -> None:
        self._messages: dict[str, _Message] = {}
        self._anonymous = 0

    def add(
        self,
        message_id: str | None,
        at: float | None,
        model: str | None,
        *,
        input_tokens: Any = 0,
        output_tokens: Any = 0,
        cache_read_tokens: Any = 0,
        cache_write_tokens: Any = 0,
        reasoning_tokens: Any = 0,
        cost: Any = None,
    ) -> None:
        """Record one API message's usage. ``message_id`` None means the agent gave none, so
        the report is taken as its own message; bad values count as 0 (cost as missing)."""
        counts = (
            _count(input_tokens), _count(output_tokens), _count(cache_read_tokens),
            _count(cache_write_tokens), _count(reasoning_tokens),
        )
        recorded_cost = _cost(cost)
        if not any(counts) and recorded_cost is None:
            return
        if message_id is None:
            self._anonymous += 1
            message_id = f"\0{self._anonymous}"
        self._messages[message_id] = _Message(
            usage_day(at), model if isinstance(model, str) and model else None, counts,
            recorded_cost,
        )

    def __len__(self) -> int:
        return len(self._messages)

    def records(self) -> list[dict[str, Any]]:
        """One dict per (day, model), sorted: ``day``, ``model``, the :data:`TOKEN_FIELDS`,
        ``cost`` (None when no message of the group recorded one), ``messages`` and
        ``messages_with_cost``."""
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for message in self._messages.values():
            key = (message.day or "", message.model or "")
            group = groups.get(key)
            if group is None:
                group = groups[key] = {
                    "day": message.day, "model": message.model,
                    **{name: 0 for name in TOKEN_FIELDS}, "cost": None, "messages": 0,
                    "messages_with_cost": 0,
                }
            for name, value in zip(TOKEN_FIELDS, message.counts):
                group[name] += value
            if message.cost is not None:
                group["cost"] = (group["cost"] or 0.0) + message.cost
                group["messages_with_cost"] += 1
            group["messages"] += 1
        return [groups[key] for key in sorted(groups)]


def usage_records_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A row's usage records: its ``usage`` list when the source gave one, else one record
    from the row's own token and cost fields (Web UI and agent sessions record totals per
    session, at the session's last activity). Empty when nothing was recorded."""
    given = row.get(USAGE_KEY)
    if isinstance(given, (list, tuple)):
        return [dict(item) for item in given if isinstance(item, Mapping)]
    tally = UsageTally()
    tally.add(
        None,
        row.get("last_message_at") or row.get("updated_at"),
        row.get("model") if isinstance(row.get("model"), str) else None,
        input_tokens=row.get("input_tokens"),
        output_tokens=row.get("output_tokens"),
        cache_read_tokens=row.get("cache_read_input_tokens"),
        cache_write_tokens=row.get("cache_creation_input_tokens"),
        reasoning_tokens=row.get("reasoning_tokens"),
        cost=row.get("actual_cost") if row.get("actual_cost") is not None
        else row.get("estimated_cost"),
    )
    return tally.records()


def add_usage_records(row: dict[str, Any], records: Iterable[Mapping[str, Any]]) -> None:
    """Add usage recorded for this session elsewhere (its subagents' transcripts) to the row's
    ``usage`` list. The row's own usage stays whole: its list, or, when it had none, the one
    entry its totals make (see :func:`usage_records_of`), so adding never hides its tokens."""
    extra = [dict(record) for record in records]
    if extra:
        row[USAGE_KEY] = [*usage_records_of(row), *extra]


def merge_records(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The sum of records: tokens added, cost added where recorded, and how many of the
    summed messages had no recorded cost (so a total never hides a gap)."""
    total: dict[str, Any] = {name: 0 for name in TOKEN_FIELDS}
    total.update(cost=None, messages=0, messages_without_cost=0)
    for record in records:
        for name in TOKEN_FIELDS:
            total[name] += _count(record.get(name))
        messages = _count(record.get("messages")) or 1
        total["messages"] += messages
        cost = _cost(record.get("cost"))
        if cost is None:
            costed = 0
        elif "messages_without_cost" in record:  # a sum of sums
            costed = messages - min(messages, _count(record.get("messages_without_cost")))
        else:
            costed = min(messages, _count(record.get("messages_with_cost")))
        if cost is not None:
            total["cost"] = (total["cost"] or 0.0) + cost
        total["messages_without_cost"] += messages - costed
    return total
