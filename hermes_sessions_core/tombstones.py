"""Deleted-session ids (S2.26): one small shared file that recovery and the agent listing honour.

``<session dir>/_tombstones.json`` is a JSON object ``{session_id: deleted_at}`` holding the
newest 1,000 deletions. Saving an id again lifts its tombstone.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import jsoncodec

__all__ = [
    "TOMBSTONES_FILE",
    "MAX_TOMBSTONES",
    "parse_tombstones",
    "with_tombstone",
    "without_tombstone",
]

TOMBSTONES_FILE = "_tombstones.json"
MAX_TOMBSTONES = 1000


def parse_tombstones(data: bytes | None) -> dict[str, float]:
    """Decode the file's bytes; a missing, torn or foreign-shaped file counts as empty.

    A list of ids (an older shape) is accepted too, with time 0.
    """
    if not data:
        return {}
    try:
        value: Any = jsoncodec.loads(data)
    except ValueError:
        return {}
    if isinstance(value, Mapping):
        result: dict[str, float] = {}
        for key, stamp in value.items():
            if isinstance(key, str):
                result[key] = float(stamp) if isinstance(stamp, (int, float)) else 0.0
        return result
    if isinstance(value, list):
        return {item: 0.0 for item in value if isinstance(item, str)}
    return {}


def with_tombstone(
    current: Mapping[str, float], session_id: str, deleted_at: float
) -> dict[str, float]:
    """Add one id, keeping the newest :data:`MAX_TOMBSTONES`."""
    merged = dict(current)
    merged.pop(session_id, None)
    merged[session_id] = deleted_at
    if len(merged) > MAX_TOMBSTONES:
        newest = sorted(merged.items(), key=lambda item: item[1], reverse=True)[:MAX_TOMBSTONES]
        merged = dict(sorted(newest, key=lambda item: item[1]))
    return merged


def without_tombstone(current: Mapping[str, float], session_id: str) -> dict[str, float]:
    merged = dict(current)
    merged.pop(session_id, None)
    return merged
