"""A session's title: OpenCode's own, unless it is still the placeholder.

OpenCode names a new session ``New session - <ISO time>`` (a subagent's ``Child session -
<ISO time>``) and replaces that with a generated title after the first exchange; a session
that never got one (an aborted first turn, no title model) keeps the placeholder. Then the
title is the first real user text: typed by the user, not a ``synthetic`` part OpenCode
injected (file contents, tool notes).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

__all__ = ["is_placeholder_title", "first_user_text", "choose_title"]

_PLACEHOLDER = re.compile(
    r"(?:New session|Child session) - \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z"
)
_WHITESPACE = re.compile(r"\s+")
FALLBACK_TITLE = "Untitled OpenCode session"


def is_placeholder_title(title: str | None) -> bool:
    return not title or not title.strip() or _PLACEHOLDER.fullmatch(title.strip()) is not None


def user_text(parts: Iterable[Mapping[str, Any]]) -> str:
    """What the user typed in one message: its non-synthetic text parts, joined."""
    pieces = []
    for part in parts:
        if part.get("type") == "text" and part.get("synthetic") is not True:
            text = part.get("text")
            if isinstance(text, str) and text.strip():
                pieces.append(text)
    return "\n".join(pieces)


def first_user_text(messages: Iterable[Any], limit: int) -> str | None:
    """The first user text among messages whose parts were read, flattened and cut."""
    for message in messages:
        if message.role != "user" or message.parts is None:
            continue
        text = _WHITESPACE.sub(" ", user_text(message.parts)[: limit * 4]).strip()
        if text:
            return text[:limit]
    return None


def choose_title(title: str | None, first_text: str | None, limit: int) -> str:
    """OpenCode's title, or the first user text for a placeholder, cut to ``limit``."""
    if title is not None and not is_placeholder_title(title):
        return _WHITESPACE.sub(" ", title).strip()[:limit] or FALLBACK_TITLE
    if first_text:
        return first_text[:limit]
    return (title or "").strip()[:limit] or FALLBACK_TITLE
