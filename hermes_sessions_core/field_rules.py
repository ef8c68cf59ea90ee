"""The normalisation rule for each kind of value a session field holds (S1.8).

Every value the original writes passes unchanged, and every value written here reads the same
in the original. A value outside its rule is replaced by the field's empty value and logged
once, never raised: one odd file must not fail a listing. Which field is of which kind is the
table in :mod:`~hermes_sessions_core.session_fields`.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
from typing import Any

from .times import MAX_EPOCH, MIN_EPOCH, to_epoch

__all__ = [
    "MAX_METADATA_DEPTH",
    "to_flag",
    "text_or_none",
    "absolute_path_or_none",
    "flag_field",
    "text_field",
    "number_field",
    "time_field",
    "path_field",
    "list_field",
    "row_value_field",
]

# Odd values are logged under the session model's name, which hosts and tests filter on.
logger = logging.getLogger("hermes_sessions_core.models")

_TRUE_TEXT = frozenset({"true", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"false", "no", "off", "0", ""})
_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
#: Deepest nesting kept in a free-form value that rows carry (``gateway_routing``,
#: ``composer_draft``, ...): every index write encodes it, and the encoders give up near 254
#: (orjson) and 1000 (Python) levels, which would fail a whole listing for one file.
MAX_METADATA_DEPTH = 64


# ── values ───────────────────────────────────────────────────────────────────────────────────


def to_flag(value: object) -> bool:
    """The boolean rule: ``true``, a non-zero number, or the text ``true``/``yes``/``on``/``1``
    (any case, stripped) is True; everything else is False (``"no"``, ``"0"``, ``null``,
    ``[1]``), so an odd value can never hide or pin a session. What the original wrote
    (real booleans) reads unchanged."""
    return _flag_or_none(value) is True


def _flag_or_none(value: object) -> bool | None:
    """True or False for the values the rule names; None for any other value (odd)."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT:
            return True
        return False if text in _FALSE_TEXT else None
    if isinstance(value, (int, float)):
        return value == value and value != 0  # NaN is false
    return None


def _number_or_none(value: object) -> int | float | None:
    """A finite number, or numeric text as one (``"12"`` → 12); None for anything else."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[return-value]
    if kind is float:
        return value if math.isfinite(value) else None  # type: ignore[arg-type,return-value]
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 64 or _NUMBER_TEXT.fullmatch(text) is None:
            return None
        if "." not in text and "e" not in text.lower():
            return int(text)
        number = float(text)
        return number if math.isfinite(number) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return value if math.isfinite(number) else None
    return None


def text_or_none(value: object) -> str | None:
    """Text as it is; a finite number as its text (``42`` → ``"42"``); None for the rest."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value) if math.isfinite(value) else None
        except (OverflowError, ValueError):  # integers too large for float or for text
            return None
    return None


def _epoch_or_none(value: object) -> int | float | None:
    """A number already in 1970-9999 as it is (an int stays an int, so files load unchanged);
    numeric or ISO text as epoch seconds; None for anything else (S0.1)."""
    kind = type(value)
    if (kind is float or kind is int) and MIN_EPOCH <= value <= MAX_EPOCH:  # type: ignore[operator]
        return value  # type: ignore[return-value]
    try:
        return to_epoch(value)
    except (OverflowError, ValueError):  # an integer too large for a float
        return None


def _nested_within(value: object, limit: int) -> bool:
    """Whether lists and dicts in ``value`` nest at most ``limit`` levels (walked without
    recursion, stopping at the first level too deep)."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:  # type: ignore[attr-defined]
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return False
                pending.append((child, depth + 1))
    return True


def _is_empty(value: object) -> bool:
    """Missing or falsy the way the original's ``value or default`` saw it (no odd report)."""
    if value is None or value is False:
        return True
    kind = type(value)
    if kind is str:
        return not value
    return (kind is int or kind is float) and value == 0


@functools.lru_cache(maxsize=4096)
def _absolute_path(value: str) -> str:
    """``~`` expanded, symlinks resolved (S1.8); cached because workspaces repeat."""
    return os.path.realpath(os.path.expanduser(value))


def absolute_path_or_none(value: object) -> str | None:
    """A usable path text made absolute; None for other values or a path the OS refuses
    (a NUL byte, a name too long)."""
    if not isinstance(value, (str, os.PathLike)):
        return None
    try:
        text = os.fspath(value)
        return _absolute_path(text) if isinstance(text, str) and text else None
    except (TypeError, ValueError, OSError):
        return None


# ── odd values ───────────────────────────────────────────────────────────────────────────────


@functools.lru_cache(maxsize=256)
def _report_odd_value(session_id: str, name: str, shown: str, replacement: str) -> None:
    """Log an odd field value once per session, field and value (the cache remembers)."""
    logger.warning(
        "session %s: %s %s is not a valid value; read as %s (S1.8)",
        session_id, name, shown, replacement,
    )


def _odd(session_id: object, name: str, value: object, replacement: object) -> None:
    shown = f"{type(value).__name__} {_short_repr(value)}"
    _report_odd_value(str(session_id)[:80], name, shown, repr(replacement)[:40])


def _short_repr(value: object) -> str:
    """At most 40 characters of ``repr(value)``, for log lines about odd values."""
    if isinstance(value, (dict, list)):
        return f"of {len(value)} items"
    try:
        text = repr(value[:40] if isinstance(value, str) else value)
    except ValueError:  # an integer with more digits than Python will print
        return "too large to show"
    return text if len(text) <= 40 else text[:37] + "..."


# ── one rule per kind of field: the value, or ``missing`` (odd values logged) ───────────────


def flag_field(session_id: str, name: str, value: object) -> bool:
    flag = _flag_or_none(value)
    if flag is None:
        _odd(session_id, name, value, False)
        return False
    return flag


def text_field(session_id: str, name: str, value: object) -> str | None:
    if value is None or type(value) is str:
        return value
    text = text_or_none(value)
    if text is None and not _is_empty(value):
        _odd(session_id, name, value, None)
    return text


def number_field(
    session_id: str, name: str, value: object, missing: int | None
) -> int | float | None:
    if value is None or (type(value) is str and not value):
        return missing
    if type(value) is int:
        return value
    number = _number_or_none(value)
    if number is None:
        _odd(session_id, name, value, missing)
        return missing
    return number


def time_field(
    session_id: str, name: str, value: object, missing: float | None
) -> int | float | None:
    if type(value) is float and MIN_EPOCH < value <= MAX_EPOCH:
        return value
    if _is_empty(value):
        return missing
    stamp = _epoch_or_none(value)
    if stamp is None:
        _odd(session_id, name, value, "now" if missing is not None else None)
        return missing
    return stamp


def path_field(session_id: str, name: str, value: object) -> str | None:
    if _is_empty(value):
        return None
    path = absolute_path_or_none(value)
    if path is None:
        _odd(session_id, name, value, None)
    return path


def list_field(session_id: str, name: str, value: object, missing: list[Any]) -> list[Any]:
    if isinstance(value, list):
        return value
    if not _is_empty(value):
        _odd(session_id, name, value, missing)
    return missing


def row_value_field(
    session_id: str, name: str, value: object, kind: type | tuple[type, ...], missing: Any
) -> Any:
    """A value of ``kind`` that rows carry, kept if it nests at most MAX_METADATA_DEPTH."""
    if isinstance(value, kind):
        if not value or not isinstance(value, (dict, list)):
            return value
        if _nested_within(value, MAX_METADATA_DEPTH):
            return value
    elif _is_empty(value):
        return missing
    _odd(session_id, name, value, missing)
    return missing
