"""Content blocks as text: images as a placeholder, lists joined, never a repr (S4.11, S4.13).

Shared by the classifier (an image is part of what a user line says) and the transcript (tool
results, compaction summaries, assistant images), so both read a block the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["block_text", "image_placeholder"]


def image_placeholder(block: dict[str, Any]) -> str:
    """``[image: <media type>]``: base64 never reaches messages or rows (S4.13)."""
    source = block.get("source")
    media = source.get("media_type") if isinstance(source, dict) else None
    return f"[image: {media or 'unknown'}]"


def block_text(content: Any) -> str:
    """Text of a tool result or summary: strings as they are, lists joined, never a repr."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return str(content)
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind == "image":
                parts.append(image_placeholder(block))
            elif isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif kind == "document":
                parts.append("[document]")
    return "\n".join(parts)
