"""Two transcript rules shared by every caller: when a fresh agent transcript replaces a stored
one on re-import (S3.25), and how a messaging session's two transcripts merge (S3.26)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .models import message_timestamp

__all__ = ["merge_messaging_transcripts", "replaces_stored_transcript"]

#: Keys a fresh agent transcript may add to stored messages without changing them (#1772).
_TOOL_METADATA = frozenset({
    "tool_calls", "tool_call_id", "tool_name", "name", "reasoning", "reasoning_details",
    "reasoning_content", "codex_reasoning_items", "codex_message_items",
})


def replaces_stored_transcript(stored: list[Any], fresh: list[Any]) -> bool:
    """S3.25: a longer transcript that starts with the stored one, or the same length with only
    tool metadata added (#1772). ``==`` already equals an int and a float of the same value."""
    if len(fresh) > len(stored):
        return all(old == new for old, new in zip(stored, fresh))
    if len(fresh) != len(stored) or not stored:
        return False
    added = False
    for old, new in zip(stored, fresh):
        if old == new:
            continue
        if not (isinstance(old, dict) and isinstance(new, dict)):
            return False
        if any(key not in new or new[key] != value for key, value in old.items()):
            return False
        if not set(new) - set(old) <= _TOOL_METADATA:
            return False
        added = True
    return added


def _message_key(message: Any) -> tuple[Any, ...]:
    if not isinstance(message, dict):
        return ("raw", repr(message))
    for id_key in ("id", "message_id", "platform_message_id"):
        if message.get(id_key) not in (None, ""):
            return ("id", str(message[id_key]))
    content = message.get("content")
    if not isinstance(content, str):
        content = json.dumps(content, sort_keys=True, default=str)
    return (
        "value", message.get("role"), content, message_timestamp(message),
        message.get("tool_call_id"), message.get("tool_name") or message.get("name"),
    )


def merge_messaging_transcripts(
    agent_messages: Iterable[Any], webui_messages: Iterable[Any]
) -> list[Any]:
    """One transcript for a messaging session's detail view, ordered by time (S3.26).

    Messages are the same when their ids are equal, or, without ids, when role, content,
    timestamp, ``tool_call_id`` and tool name are; two different ids are both kept. A message
    without a time stays after the one before it.
    """
    merged: list[tuple[float, int, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    order = 0
    for messages in (agent_messages, webui_messages):
        last = float("-inf")
        for message in messages:
            key = _message_key(message)
            if key in seen:
                continue
            seen.add(key)
            stamp = message_timestamp(message)
            last = stamp if stamp is not None else last
            merged.append((last, order, message))
            order += 1
    merged.sort(key=lambda item: (item[0], item[1]))
    return [message for _, _, message in merged]
