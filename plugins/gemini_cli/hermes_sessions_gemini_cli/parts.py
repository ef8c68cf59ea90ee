"""Gemini message content as text, and what a ``user`` message really is.

``content`` is a string (older files) or a list of parts (``{"text": …}``,
``{"functionResponse": …}``, ``{"inlineData": …}``). ``displayContent``, when present, is what
the user saw and typed: ``/init`` while ``content`` holds the long prompt the command expanded
to. A user message whose shown parts are only ``functionResponse`` is a tool reply fed back to
the model ("System: Please continue."), not something the user said.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

__all__ = ["UserKind", "parts_text", "shown_content", "user_kind", "collapse_whitespace"]

_WHITESPACE = re.compile(r"\s+")


class UserKind(Enum):
    TYPED = "typed"  # what the user typed: a title candidate
    COMMAND = "command"  # a slash command (shown as typed, never a title)
    TOOL_REPLY = "tool_reply"  # a functionResponse fed back: not said by the user
    EMPTY = "empty"


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _part_text(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return None
    text = part.get("text")
    if isinstance(text, str):
        return None if part.get("thought") is True else text
    inline = part.get("inlineData") or part.get("fileData")
    if isinstance(inline, dict):
        mime = inline.get("mimeType")
        return f"[file: {mime if isinstance(mime, str) else 'unknown'}]"
    return None


def parts_text(content: Any, limit: int | None = None) -> str:
    """Text of a string or a part list (lists joined by newlines, never a repr)."""
    if isinstance(content, str):
        text = content
    elif isinstance(content, dict):
        text = _part_text(content) or ""
    elif isinstance(content, list):
        pieces = [piece for piece in map(_part_text, content) if piece]
        text = "\n".join(pieces)
    else:
        text = ""
    return text if limit is None else text[:limit]


def _only_function_responses(content: Any) -> bool:
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list) or not content:
        return False
    return all(isinstance(p, dict) and "functionResponse" in p for p in content)


def shown_content(message: dict[str, Any]) -> Any:
    """``displayContent`` when the message has one, else ``content``."""
    shown = message.get("displayContent")
    return shown if shown not in (None, "", []) else message.get("content")


def user_kind(message: dict[str, Any]) -> tuple[UserKind, str]:
    """What a ``user`` message is, and its shown text."""
    shown = shown_content(message)
    if _only_function_responses(shown) or _only_function_responses(message.get("content")):
        return UserKind.TOOL_REPLY, ""
    text = parts_text(shown).strip()
    if not text:
        return UserKind.EMPTY, ""
    if text.startswith("/"):
        first = text.split(None, 1)[0]
        if len(first) > 1 and "/" not in first[1:]:
            return UserKind.COMMAND, text
    return UserKind.TYPED, text
