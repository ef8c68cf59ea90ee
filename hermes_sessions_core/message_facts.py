"""What a session's message list tells without reading it whole: times, user turns, a title.

The rules of S1.10-S1.15, shared by the session model, the sources' rows and search.
"""

from __future__ import annotations

from typing import Any, Iterable

from .times import to_epoch

__all__ = [
    "message_timestamp",
    "last_message_timestamp",
    "count_user_messages",
    "title_from",
]


def message_timestamp(message: object) -> float | None:
    """A message's time: ``_ts`` preferred over ``timestamp`` (S1.10), as epoch seconds."""
    if not isinstance(message, dict):
        return None
    raw = message.get("_ts")
    if raw is None:
        raw = message.get("timestamp")
    return to_epoch(raw)


def last_message_timestamp(messages: object) -> float | None:
    """Time of the last non-``tool`` message that has a usable time (S1.14)."""
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "tool":
            continue
        stamp = message_timestamp(message)
        if stamp:
            return stamp
    return None


def count_user_messages(messages: object) -> int:
    """Messages whose role, trimmed and lower-cased, is ``user`` (S1.15)."""
    if not isinstance(messages, list):
        return 0
    return sum(
        1
        for message in messages
        if isinstance(message, dict) and str(message.get("role", "")).strip().lower() == "user"
    )


def title_from(messages: Iterable[Any], fallback: str = "Untitled") -> str:
    """The first non-empty user text, list parts joined by spaces, cut to 64 (S1.11)."""
    for message in messages:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content", "")
        if isinstance(content, list):
            content = " ".join(
                str(part.get("text", ""))
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
        text = str(content if content is not None else "").strip()
        if text:
            return text[:64]
    return fallback
