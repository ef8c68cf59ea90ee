"""What Aider's usage notes say: tokens and cost, as Aider printed them, never estimated.

After each reply Aider notes ``Tokens: 3.1k sent, 4.1k cache write, 2.0k cache hit, 214
received. Cost: $0.01 message, $0.04 session.`` (``aider/coders/base_coder.py``). Counts of
1,000 and more are rounded as printed (``3.1k``, ``12k``); the cost parts appear only when
Aider knows the model's price, and ``session`` is the running total of that Aider process,
which is one session here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

__all__ = ["RecordedUsage", "usage_of"]

_COUNT = r"(\d+(?:\.\d+)?k?)"
_TOKENS = re.compile(
    rf"^Tokens: {_COUNT} sent(?:, {_COUNT} cache write)?(?:, {_COUNT} cache hit)?,"
    rf" {_COUNT} received\.", re.M
)
_COST = re.compile(r"Cost: \$(\d+(?:\.\d+)?) message, \$(\d+(?:\.\d+)?) session\.")


@dataclass(frozen=True, slots=True)
class RecordedUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    #: The last ``$… session`` total; ``None`` when Aider printed no cost.
    cost: float | None = None


def usage_of(notes: Iterable[str]) -> RecordedUsage:
    """The session's token counts summed over its reports, and its last session cost."""
    sent = received = written = hit = 0
    cost: float | None = None
    for note in notes:
        for match in _TOKENS.finditer(note):
            sent += _count(match.group(1))
            written += _count(match.group(2))
            hit += _count(match.group(3))
            received += _count(match.group(4))
        for match in _COST.finditer(note):
            cost = float(match.group(2))
    return RecordedUsage(sent, received, written, hit, cost)


def _count(printed: str | None) -> int:
    if not printed:
        return 0
    if printed.endswith("k"):
        return round(float(printed[:-1]) * 1000)
    return int(float(printed))
