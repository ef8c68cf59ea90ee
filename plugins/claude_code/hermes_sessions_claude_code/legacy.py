"""Transcripts in the simpler shapes the original Web UI also accepted: records without ``type``.

Real Claude Code records always carry ``type``. Older exports and the original's own test
data do not: a line is ``{"message": {"role": ..., "content": ...}}``, a bare message
``{"role": ..., "content": ...}``, or ``{"messages": [...]}`` holding several, with
``{"summary": ...}`` or ``{"title": ...}`` lines naming the session. Each such line is turned
here into the real-format records it stands for, so every reader (messages, row summary,
exact counts) applies the same S4 rules to both shapes.
"""

from __future__ import annotations

from typing import Any

__all__ = ["typed_records"]

# Only conversation roles become records (S4.8); ``human`` counts as ``user``.
_ROLES = {"user": "user", "human": "user", "assistant": "assistant"}


def typed_records(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``user``/``assistant`` records an untyped ``record`` stands for, in order.

    Empty when it holds no message with a conversation role and some content (a title line,
    metadata, anything unknown). Keys of the original record are kept (``cwd``,
    ``isSidechain``…), so the usual rules still see them.
    """
    items = record.get("messages")
    if isinstance(items, list):
        found = []
        for item in items:
            if isinstance(item, dict):
                typed = _typed(item, record)
                if typed is not None:
                    found.append(typed)
        return found
    typed = _typed(record, record)
    return [typed] if typed is not None else []


def _typed(item: dict[str, Any], line: dict[str, Any]) -> dict[str, Any] | None:
    """``item`` (a record with a ``message``, or a bare message) as a typed record; the
    role, time and creation time may also sit on the enclosing ``line``."""
    message = item.get("message")
    if not isinstance(message, dict):
        message = item
    role = _ROLES.get(_role_name(message.get("role") or item.get("role") or line.get("role")))
    if role is None:
        return None
    content = message.get("content") if "content" in message else item.get("content")
    if isinstance(content, dict):
        content = [content]  # a single block
    if isinstance(content, str) and not content.strip():
        return None
    if not isinstance(content, (str, list)) or not content:
        return None
    stamp = (
        message.get("timestamp") or item.get("timestamp") or line.get("timestamp")
        or item.get("created_at") or line.get("created_at")
    )
    return {
        **item, "type": role, "message": {**message, "role": role, "content": content},
        "timestamp": stamp,
    }


def _role_name(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""
