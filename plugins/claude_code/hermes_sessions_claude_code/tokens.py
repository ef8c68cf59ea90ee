"""Token usage counted once per API response (S4.14).

Claude Code writes one line per content block of a response and repeats ``usage`` on each;
early lines carry a partial ``output_tokens``. Counting every line overstates usage several
times over, so each response (``message.id`` plus ``requestId``) keeps only its last line.
"""

from __future__ import annotations

from typing import Any

from hermes_sessions_core.times import to_epoch
from hermes_sessions_core.usage import UsageTally

__all__ = ["TOKEN_FIELDS", "TokenTally"]

TOKEN_FIELDS: tuple[str, ...] = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return 0
    return int(value)


#: When and by which model a response was made: its record's raw ``timestamp`` and model
#: (decoded only when usage records are asked for), or ``None`` when the usage was found
#: without decoding the line.
When = tuple[Any, Any]
_UNKNOWN: When = (None, None)


class TokenTally:
    """Last usage per response; :meth:`totals` sums them, :meth:`usage_records` gives them per
    day and model for ``hermes-sessions usage``."""

    __slots__ = ("_usage", "_when")

    def __init__(self) -> None:
        self._usage: dict[tuple[str, str], tuple[int, int, int, int]] = {}
        self._when: dict[tuple[str, str], When] = {}

    def add(self, record: dict[str, Any]) -> None:
        """Record the usage of one assistant line; ``<synthetic>`` responses are not billed."""
        message = record.get("message")
        if not isinstance(message, dict) or message.get("model") == "<synthetic>":
            return
        usage = message.get("usage")
        if not isinstance(usage, dict):
            return
        message_id = message.get("id")
        request_id = record.get("requestId")
        key = (
            message_id if isinstance(message_id, str) else f"line-{len(self._usage)}",
            request_id if isinstance(request_id, str) else "",
        )
        self._usage[key] = tuple(_count(usage.get(name)) for name in TOKEN_FIELDS)  # type: ignore[assignment]
        self._when[key] = (record.get("timestamp"), message.get("model"))

    def add_values(
        self, key: tuple[str, str], values: tuple[int, int, int, int], when: When = _UNKNOWN
    ) -> None:
        """Record usage found without decoding the line (listing estimates), or restored."""
        self._usage[key] = values
        self._when[key] = when

    def items(self) -> list[tuple[tuple[str, str], tuple[int, int, int, int]]]:
        """``(key, usage)`` pairs in first-seen order, to store and restore a tally."""
        return list(self._usage.items())

    def when(self, key: tuple[str, str]) -> When:
        return self._when.get(key, _UNKNOWN)

    def __len__(self) -> int:
        return len(self._usage)

    def totals(self) -> dict[str, int]:
        sums = [0, 0, 0, 0]
        for values in self._usage.values():
            for index, value in enumerate(values):
                sums[index] += value
        return dict(zip(TOKEN_FIELDS, sums))

    def usage_records(self) -> tuple[dict[str, Any], ...]:
        """Usage per (day, model), one entry per response; empty when any response's time is
        unknown (then the row's totals stand for the session, on its last day)."""
        if not self._usage or any(self._when.get(key, _UNKNOWN)[0] is None
                                  for key in self._usage):
            return ()
        tally = UsageTally()
        for key, (given, output, creation, read) in self._usage.items():
            stamp, model = self._when[key]
            tally.add(
                "\0".join(key), to_epoch(stamp), model if isinstance(model, str) else None,
                input_tokens=given, output_tokens=output, cache_write_tokens=creation,
                cache_read_tokens=read,
            )
        return tuple(tally.records())
