"""Time values as epoch-second floats (S0.1): one parser for every source."""

from __future__ import annotations

import datetime as _dt
import math

__all__ = ["to_epoch", "MIN_EPOCH", "MAX_EPOCH"]

MIN_EPOCH = 0.0
# 9999-12-31T23:59:59Z: later values are garbage such as the `5e246` of S8.26.
MAX_EPOCH = 253402300799.0


def to_epoch(value: object) -> float | None:
    """Return ``value`` as epoch seconds, or ``None`` when it is missing or unusable.

    Accepts ints, floats, numeric strings and ISO-8601 text (``Z`` or an offset; naive text
    is read as UTC). Booleans, non-finite numbers and times outside 1970-9999 count as missing,
    so a string is never compared with a number downstream.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, (str, bytes)):
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        text = text.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            number_or_none = _parse_iso(text)
            if number_or_none is None:
                return None
            number = number_or_none
    else:
        return None
    if not math.isfinite(number) or number < MIN_EPOCH or number > MAX_EPOCH:
        return None
    return number


def _parse_iso(text: str) -> float | None:
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
