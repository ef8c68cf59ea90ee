"""Assertions shared by the contracts; registered for pytest's assertion rewriting."""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping

from ..models import METADATA_FIELDS, ROW_ONLY_FIELDS, SessionRow, is_valid_session_id

__all__ = ["assert_epoch_float", "assert_valid_row", "assert_file_layout", "REQUIRED_ROW_KEYS"]

#: Keys every row carries (the list_rows hook spec; S1.12). Values may be null where S1.12 allows.
REQUIRED_ROW_KEYS: tuple[str, ...] = (
    "session_id", "title", "created_at", "updated_at", "message_count", "profile",
)
_LAST_VALID_EPOCH = 253402300800.0  # 10000-01-01: S0.1 accepts the years 1970-9999


def assert_epoch_float(value: Any, what: str) -> None:
    """S0.1: a time crossing the plugin boundary is a finite float epoch in 1970-9999."""
    assert type(value) is float, (
        f"{what} must be an epoch-second float (S0.1), got {type(value).__name__} {value!r}"
    )
    assert math.isfinite(value) and 0 <= value < _LAST_VALID_EPOCH, (
        f"{what} = {value!r} is outside the years 1970-9999 (S0.1)"
    )


def assert_valid_row(row: object, source: str, id_prefixes: Iterable[str] = ()) -> None:
    """A frozen :class:`SessionRow` with a valid id, the required keys and float times."""
    assert isinstance(row, SessionRow), (
        f"{source}: rows must be SessionRow records (S0.2), got {type(row).__name__}"
    )
    session_id = row.get("session_id")
    assert is_valid_session_id(session_id), f"{source}: row id {session_id!r} breaks S1.2"
    missing = [key for key in REQUIRED_ROW_KEYS if key not in row]
    assert not missing, f"{source}: row {session_id!r} lacks required keys {missing} (S1.12)"
    assert isinstance(row["title"], str) and row["title"], (
        f"{source}: row {session_id!r} needs a non-empty title string, got {row['title']!r}"
    )
    count = row["message_count"]
    assert isinstance(count, int) and not isinstance(count, bool) and count >= 0, (
        f"{source}: row {session_id!r} message_count must be an int >= 0, got {count!r}"
    )
    for key in ("created_at", "updated_at"):
        assert_epoch_float(row[key], f"{source}: row {session_id!r} {key}")
    if row.get("last_message_at") is not None:
        assert_epoch_float(row["last_message_at"], f"{source}: row {session_id!r} last_message_at")
    prefixes = tuple(id_prefixes)
    if prefixes:
        assert str(session_id).startswith(prefixes), (
            f"{source}: row id {session_id!r} is outside the prefixes it owns {prefixes}"
        )
    if "parent_session_id" in row:
        assert row["parent_session_id"], f"{source}: parent_session_id is never null (S1.12)"


def assert_file_layout(data: bytes, record_keys_after: Iterable[str] = ()) -> Mapping[str, Any]:
    """S1.4, S1.5: group 1 in order, ``messages``, ``tool_calls``, then the rest, in the
    original's bytes; runtime and row-only values never written. Returns the decoded record."""
    record = json.loads(data)
    assert isinstance(record, dict), "a session file holds one JSON object (S1.4)"
    keys = list(record)
    group_one = len(METADATA_FIELDS)
    assert keys[:group_one] == list(METADATA_FIELDS), (
        f"group 1 must be the metadata fields in order (S1.4); found {keys[:group_one]}"
    )
    assert keys[group_one:group_one + 2] == ["messages", "tool_calls"], (
        f"messages and tool_calls must follow group 1 (S1.4); found {keys[group_one:group_one + 2]}"
    )
    rest = keys[group_one + 2:]
    for key in record_keys_after:
        assert key in rest, f"{key!r} must be kept in group 3 (S1.7); group 3 is {rest}"
    never = [key for key in keys if key.startswith("_") or key in ROW_ONLY_FIELDS]
    assert not never, f"runtime and row-only values are never written (S1.5): {never}"
    assert record["message_count"] == len(record["messages"]), (
        "message_count is len(messages) (S1.6)"
    )
    assert data == json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"), (
        "files use json.dumps(indent=2, ensure_ascii=False) bytes so the original reads them (S1.4)"
    )
    return record
