"""Rollout lines without trusting them: what a line is from its first bytes, and its record.

Codex writes every line as ``{"timestamp":…,"type":…,"payload":{"type":…,"role":…`` (serde
keeps the field order), so a line's kind is read from its head without decoding a 20 KB
instruction block or a long tool output. Lines in another key order fall back to a full decode.
Lines that are not JSON objects (a truncated tail, bad bytes, nesting too deep) are counted and
skipped, never raised.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, NamedTuple

import orjson

from hermes_sessions_core.times import to_epoch

__all__ = [
    "LineHead", "head_of", "decode", "epoch_of", "string_prefix",
]

_HEAD = re.compile(
    rb'\{"timestamp":"(?P<ts>[^"\\]{0,64})","type":"(?P<type>[a-z_]{1,40})","payload":\{'
    rb'(?:"type":"(?P<sub>[a-z_]{1,60})"(?:,"role":"(?P<role>[a-z]{1,20})")?)?'
)


class LineHead(NamedTuple):
    """A line's time (as written), record type, payload type and message role."""

    timestamp: str
    type: str
    subtype: str
    role: str


def decode(line: bytes) -> dict[str, Any] | None:
    """The line's record, or None when it is not a JSON object (bad bytes are replaced)."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            value = orjson.loads(line.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:  # also nesting past orjson's limit
            return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def head_of(line: bytes) -> tuple[LineHead, dict[str, Any] | None] | None:
    """The line's head, and its record when finding the head meant decoding it; None for a
    line that is not a record."""
    match = _HEAD.match(line)
    if match is not None:
        return LineHead(
            match["ts"].decode("ascii", "replace"), match["type"].decode("ascii"),
            (match["sub"] or b"").decode("ascii"), (match["role"] or b"").decode("ascii"),
        ), None
    record = decode(line)
    if record is None:
        return None
    payload = record.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    return LineHead(
        _text(record.get("timestamp")), _text(record.get("type")),
        _text(payload.get("type")), _text(payload.get("role")),
    ), record


_ESCAPE_TAIL = re.compile(rb"\\(u[0-9a-fA-F]{0,3})?$")


def string_prefix(data: bytes, key: bytes, limit: int = 4096) -> str | None:
    """The start of the JSON string value of ``"key"`` in a line too long to decode: at most
    ``limit`` bytes of it, cut cleanly (used for titles of oversized prompts)."""
    marker = b'"' + key + b'":"'
    at = data.find(marker)
    if at < 0:
        return None
    raw = data[at + len(marker): at + len(marker) + limit]
    end = re.search(rb'(?<!\\)(?:\\\\)*"', raw)
    if end is not None:
        raw = raw[: end.end() - 1]
    else:
        raw = _ESCAPE_TAIL.sub(b"", raw)
    try:
        value = orjson.loads(b'"' + raw + b'"')
    except orjson.JSONDecodeError:
        try:
            value = orjson.loads(b'"' + raw.decode("utf-8", "ignore").encode("utf-8") + b'"')
        except orjson.JSONDecodeError:
            return None
    return value if isinstance(value, str) else None


def epoch_of(text: str | None) -> float | None:
    """:func:`~hermes_sessions_core.times.to_epoch` of a record's time, with a fast path for
    the ``2026-05-11T08:26:55.042Z`` form Codex writes on every line (same result)."""
    if not text:
        return None
    if len(text) > 19 and text[-1] == "Z" and text[10] == "T":
        try:
            value = _dt.datetime.fromisoformat(text[:-1] + "+00:00").timestamp()
        except ValueError:
            return to_epoch(text)
        return value if 0 < value < 253402300800.0 else None
    return to_epoch(text)
