"""Text out of Codex content parts (``input_text``, ``output_text``) and prompt payloads."""

from __future__ import annotations

from typing import Any

from .records import INJECTED_PREFIXES

__all__ = ["content_text", "is_injected"]


def content_text(content: Any) -> str:
    """A message's text: a string as is, list parts joined by blank lines."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = [
        str(part.get("text", ""))
        for part in content
        if isinstance(part, dict) and part.get("type") in ("input_text", "output_text", "text")
    ]
    return "\n\n".join(part for part in parts if part)


def is_injected(text: str) -> bool:
    """Context Codex adds in the user's name (AGENTS.md, environment), not a typed prompt."""
    return text.lstrip().startswith(INJECTED_PREFIXES)
