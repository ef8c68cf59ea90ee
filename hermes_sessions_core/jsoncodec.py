"""JSON in the original's exact bytes, fast.

Session files and the index are written as ``json.dumps(obj, ensure_ascii=False, indent=2)``
wrote them, so today's Web UI and ours read each other's files and diffs stay quiet. orjson
produces the same bytes for the values sessions hold, several times faster; the few values it
refuses (integers beyond 64 bits, non-string keys, nesting beyond 254 levels) fall back to the
standard library. Two documented differences remain, both still valid JSON that
the Web UI reads: floats that need an exponent use the shortest form (``1e16``, not ``1e+16``),
and NaN or infinity (not JSON at all) are written as ``null``.

Decoding is orjson's alone, so hostile input fails the same way wherever it is read: anything
that is not JSON, not UTF-8, or nested deeper than orjson's limit of 1024 levels raises
:class:`JSONDecodeError` (a ``ValueError``) and nothing else, whatever its size or depth; the
depth check stops at the 1025th level instead of parsing the rest. ``NaN`` and ``Infinity``
(which Python's ``json`` writes and the original read) decode as ``null``, the value they are
written back as. An encoder that meets a value nested too deep for it raises ``ValueError``.
"""

from __future__ import annotations

import json
import re
from types import MappingProxyType
from typing import Any, Callable

import orjson

__all__ = [
    "dumps_pretty", "dumps_line", "dumps_sorted", "dumps_report", "dumps_report_line", "loads",
    "JSONDecodeError",
]

JSONDecodeError = orjson.JSONDecodeError

_PRETTY = orjson.OPT_INDENT_2
_LINE = 0
# Dates and dataclasses reach ``default`` as they reach json's, instead of orjson's own forms.
_REPORT = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# A JSON string (skipped whole, so text inside strings is never touched) or one of the
# constants Python's json writes for non-finite floats.
_STRING_OR_CONSTANT = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|-?Infinity|NaN')


def dumps_pretty(value: Any) -> bytes:
    """Encode as the original did: UTF-8, non-ASCII as is, 2-space indent."""
    try:
        return orjson.dumps(value, default=_read_only_mapping, option=_PRETTY)
    except (TypeError, orjson.JSONEncodeError):
        return _standard(
            lambda: json.dumps(value, ensure_ascii=False, indent=2, default=_read_only_mapping)
        )


def dumps_line(value: Any) -> bytes:
    """Encode compactly, for one-line records."""
    try:
        return orjson.dumps(value, default=_read_only_mapping)
    except (TypeError, orjson.JSONEncodeError):
        return _standard(lambda: json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_read_only_mapping
        ))


def dumps_sorted(value: Any) -> bytes:
    """Encode compactly with sorted keys: equal values give equal bytes (for comparisons)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return _standard(lambda: json.dumps(
            value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=repr
        ))


def dumps_report(value: Any) -> bytes:
    """Encode as ``json.dumps(value, ensure_ascii=False, indent=2, default=str)``, in UTF-8: the
    command line's ``--json`` output. A value JSON has no type for is written as its ``str()``.

    Raises ``UnicodeEncodeError`` for a string holding a lone surrogate, which only text can carry.
    """
    try:
        return orjson.dumps(value, default=_report_default, option=_REPORT)
    except (TypeError, orjson.JSONEncodeError):
        return _standard(
            lambda: json.dumps(value, ensure_ascii=False, indent=2, default=str)
        )


def dumps_report_line(value: Any) -> str:
    """:func:`dumps_report` on one line (JSON Lines): compact, non-ASCII as is."""
    try:
        return orjson.dumps(value, default=_report_default).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return _standard(lambda: json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=str
        )).decode("utf-8")


def _read_only_mapping(value: Any) -> Any:
    # Rows a source keeps hold their nested dicts as read-only mappings (SessionRow.kept);
    # they encode as the dicts they were. Anything else stays refused, as before.
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _report_default(value: Any) -> Any:
    # What json does natively and orjson leaves to ``default``: float and tuple subclasses.
    if isinstance(value, float):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def _standard(encode: Callable[[], str]) -> bytes:
    """The standard library's encoding, for the values orjson refuses (beyond 254 levels,
    integers beyond 64 bits, non-string keys); too deep for it too is a ValueError."""
    try:
        return encode().encode("utf-8")
    except RecursionError:
        raise ValueError(
            "cannot encode a value nested deeper than Python's recursion limit allows"
        ) from None


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode JSON; anything else raises :class:`JSONDecodeError` (a ValueError), never
    another error, however deep or large. ``NaN`` and ``Infinity`` decode as ``None``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
        if b"NaN" not in raw and b"Infinity" not in raw:
            raise
    # Rare (a file Python's json wrote with a non-finite float): rewrite those constants as
    # null outside strings and let orjson decide again, so its limits still hold.
    return orjson.loads(_STRING_OR_CONSTANT.sub(_constant_to_null, raw))


def _constant_to_null(match: re.Match[bytes]) -> bytes:
    token = match.group()
    return token if token[:1] == b'"' else b"null"
