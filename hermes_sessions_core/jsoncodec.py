"""JSON in the original's exact bytes, fast.

Session files and the index are written as ``json.dumps(obj, ensure_ascii=False, indent=2)``
wrote them, so today's Web UI and ours read each other's files and diffs stay quiet. orjson
produces the same bytes for the values sessions hold, several times faster; the few values it
cannot encode the same way (integers beyond 64 bits, NaN and infinities, non-string keys) fall
back to the standard library. Two documented differences remain, both still valid JSON that
the Web UI reads: floats that need an exponent use the shortest form (``1e16``, not ``1e+16``),
and NaN or infinity (not JSON at all) are written as ``null``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps_pretty", "dumps_line", "dumps_sorted", "loads", "JSONDecodeError"]

JSONDecodeError = orjson.JSONDecodeError

_PRETTY = orjson.OPT_INDENT_2
_LINE = 0


def dumps_pretty(value: Any) -> bytes:
    """Encode as the original did: UTF-8, non-ASCII as is, 2-space indent."""
    try:
        return orjson.dumps(value, option=_PRETTY)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def dumps_line(value: Any) -> bytes:
    """Encode compactly, for one-line records."""
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def dumps_sorted(value: Any) -> bytes:
    """Encode compactly with sorted keys: equal values give equal bytes (for comparisons)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=repr).encode("utf-8")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode JSON; invalid UTF-8 or syntax raises :class:`JSONDecodeError` (a ValueError)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        if isinstance(data, str):
            raise
        # The original accepted NaN/Infinity (Python's json writes them); keep reading them.
        text = bytes(data).decode("utf-8")
        try:
            return json.loads(text)
        except ValueError as exc:
            raise orjson.JSONDecodeError(str(exc), text, 0) from None

