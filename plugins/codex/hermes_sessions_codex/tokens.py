"""Codex token usage, from its ``token_count`` events.

Codex writes a ``token_count`` event after each model request, sometimes twice for one request:
``info.total_token_usage`` is cumulative for the thread and ``info.last_token_usage`` is the
request's own; ``info`` may be null (rate-limit updates only). A request is counted once, when
the cumulative total changes, so repeated events add nothing.

Codex's ``input_tokens`` INCLUDES ``cached_input_tokens`` (the OpenAI usage shape), so we record
``input_tokens = input - cached`` and ``cache_read_tokens = cached``: the same split Claude Code
rows use, so totals add up across sources. ``reasoning_tokens`` is
``reasoning_output_tokens``, which OpenAI counts inside ``output_tokens`` (it is the part of
the output spent reasoning, not more output). Codex records no cost: cost stays None.

A fork (Codex's backtrack, or a sub-agent spawned with its parent's context) starts with a
copy of its source thread's records, ``token_count`` events included, so each request is also
kept in order with a digest of its cumulative total: the copied ones are the fork's first
requests whose digests run equal to its source's (see :mod:`.forks`).
"""

from __future__ import annotations

from typing import Any

from hermes_sessions_core.usage import UsageTally

__all__ = ["TokenTracker", "Request", "usage_values"]

#: One counted request: (digest of the cumulative total, time, model, input (uncached),
#: output, cache read, reasoning).
Request = tuple[int, "float | None", "str | None", int, int, int, int]

_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens",
           "total_tokens")


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return int(value) if 0 <= value < 1 << 53 else 0


def usage_values(usage: Any) -> tuple[int, int, int, int, int] | None:
    """(input, cached, output, reasoning, total) of a usage object; None if it is not one."""
    if not isinstance(usage, dict):
        return None
    values = tuple(_number(usage.get(name)) for name in _FIELDS)
    return values  # type: ignore[return-value]


class TokenTracker:
    """The thread's cumulative totals and its per-request usage, de-duplicated."""

    def __init__(self) -> None:
        self.tally = UsageTally()
        self.total: tuple[int, int, int, int, int] | None = None
        self.requests: list[Request] = []

    def add(self, payload: dict[str, Any], at: float | None, model: str | None) -> None:
        info = payload.get("info")
        if not isinstance(info, dict):
            return
        total = usage_values(info.get("total_token_usage"))
        if total is None or total == self.total:
            return  # a repeat of the request already counted
        last = usage_values(info.get("last_token_usage"))
        if last is None:  # older events: the request is what the total grew by
            before = self.total or (0, 0, 0, 0, 0)
            last = tuple(max(0, now - then) for now, then in zip(total, before))  # type: ignore[assignment]
        assert last is not None
        self.total = total
        given, cached, output, reasoning, _ = last
        counts = (max(0, given - cached), output, cached, reasoning)
        self.tally.add(
            f"total:{total[4]}:{total[0]}:{total[2]}", at, model,
            input_tokens=counts[0], output_tokens=output,
            cache_read_tokens=cached, reasoning_tokens=reasoning,
        )
        self.requests.append((hash(total), at, model, *counts))

    def totals(self) -> dict[str, int]:
        """Row totals from the last cumulative report (zeros when Codex recorded none)."""
        given, cached, output, reasoning, _ = self.total or (0, 0, 0, 0, 0)
        return {
            "input_tokens": max(0, given - cached), "output_tokens": output,
            "cache_read_input_tokens": cached, "reasoning_tokens": reasoning,
        }
