"""OpenCode's sessions and messages as both storages hold them, read without trusting them.

The database and the legacy JSON tree store the same objects (``Session.Info``,
``MessageV2.Info`` and its parts); both readers build these records, so titles, counts, usage,
reverts and transcripts are worked out once. Every field goes through a coercion that turns a
value of the wrong type into "missing", never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

__all__ = [
    "SessionRecord",
    "MessageRecord",
    "as_text",
    "as_number",
    "as_count",
    "as_millis",
    "as_mapping",
    "message_from_info",
]

_MAX_MILLIS = 253402300799000.0  # 9999-12-31


def as_text(value: Any, limit: int | None = None) -> str | None:
    """A string (cut to ``limit``), or None for anything else."""
    if type(value) is not str:
        return None
    return value if limit is None or len(value) <= limit else value[:limit]


def as_number(value: Any) -> float | None:
    """A finite, non-negative number, or None (booleans and text are not numbers)."""
    kind = type(value)  # exact types: a bool is not a count (and listings call this a lot)
    if kind is int:
        return float(value) if value >= 0 else None
    if kind is float:
        return value if 0 <= value < math.inf else None  # NaN fails the comparison
    return None


def as_count(value: Any) -> int:
    """A token count: a non-negative integer, else 0."""
    kind = type(value)
    if kind is int:
        return value if value >= 0 else 0
    if kind is float and 0 <= value < math.inf:
        return int(value)
    return 0


def as_millis(value: Any) -> float | None:
    """An epoch-milliseconds time as epoch seconds, or None when absurd or missing."""
    number = as_number(value)
    if number is None or number <= 0 or number > _MAX_MILLIS:
        return None
    return number / 1000.0


_EMPTY: Mapping[str, Any] = {}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty one."""
    return value if type(value) is dict else _EMPTY


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One ``session`` row or ``storage/session/<project>/<id>.json`` file.

    Times are epoch seconds. ``revert_message_id`` is where ``/undo`` put the session back to:
    that message and every later one are undone. ``recorded_cost`` is the session's own total
    (database column ``cost``, when the schema has it)."""

    native_id: str
    parent_id: str | None
    title: str | None
    directory: str | None
    project_id: str | None
    version: str | None
    created_at: float | None
    updated_at: float | None
    archived_at: float | None
    revert_message_id: str | None
    recorded_cost: float | None
    storage: str  # "db" or "json"
    path: str


class MessageRecord(NamedTuple):
    """One message: its info (``role``, times, model, usage) and, when read, its parts in
    ``id`` order (OpenCode's own order). ``parts`` is None when only the info was read.

    A named tuple rather than a frozen dataclass: a listing builds one per stored message,
    and a tuple is built several times faster; it is just as immutable."""

    native_id: str
    role: str | None
    created_at: float | None
    completed_at: float | None
    model: str | None
    provider: str | None
    agent: str | None
    cost: float | None
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    summary: bool = False
    error: str | None = None
    parts: tuple[Mapping[str, Any], ...] | None = None

    @property
    def last_at(self) -> float | None:
        return self.completed_at or self.created_at


def message_from_info(
    native_id: str, info: Mapping[str, Any], parts: tuple[Mapping[str, Any], ...] | None = None,
    created_fallback: Any = None,
) -> MessageRecord:
    """A record from a decoded ``MessageV2.Info`` object (database ``data`` or legacy file)."""
    times = as_mapping(info.get("time"))
    tokens = as_mapping(info.get("tokens"))
    cache = as_mapping(tokens.get("cache"))
    error = as_mapping(info.get("error"))
    created = as_millis(times.get("created"))
    if created is None:
        created = as_millis(created_fallback)
    return MessageRecord(
        native_id=native_id,
        role=as_text(info.get("role"), 32),
        created_at=created,
        completed_at=as_millis(times.get("completed")),
        model=as_text(info.get("modelID"), 200),
        provider=as_text(info.get("providerID"), 200),
        agent=as_text(info.get("agent") or info.get("mode"), 200),
        cost=as_number(info.get("cost")),
        input_tokens=as_count(tokens.get("input")),
        output_tokens=as_count(tokens.get("output")),
        reasoning_tokens=as_count(tokens.get("reasoning")),
        cache_read_tokens=as_count(cache.get("read")),
        cache_write_tokens=as_count(cache.get("write")),
        summary=info.get("summary") is True,
        error=as_text(error.get("name"), 200) if error else None,
        parts=parts,
    )
