"""Text out of Codex records: message content, tool output, and what a prompt's title is.

Codex sends context in the user's name (AGENTS.md, ``<environment_context>``, permissions)
as ``user`` items; those are never typed prompts. IDE clients wrap a prompt in a header
("# Context from my IDE setup:", "# Files mentioned by the user:") with the typed text below
"## My request for Codex:"; the title is that text.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = [
    "INJECTED_PREFIXES", "MAX_TITLE_CHARS", "content_text", "is_injected", "output_text",
    "request_text", "title_from",
]

INJECTED_PREFIXES = (
    "<environment_context>", "<user_instructions>", "# AGENTS.md instructions",
    "<permissions instructions>", "<user_shell_command>", "<turn_aborted>", "<subagent",
    "# AGENTS.md", "<INSTRUCTIONS>",
)
_IDE_HEADERS = ("# Context from my IDE setup:", "# Files mentioned by the user:")
_REQUEST_MARKER = "## My request for Codex:"
MAX_TITLE_CHARS = 80
_SPACE = re.compile(r"\s+")


def content_text(content: Any) -> str:
    """A message's text: a string as is, the text parts of a list joined by newlines;
    images become ``[image]`` (base64 never reaches messages)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict):
            kind = part.get("type")
            if kind in ("input_image", "image"):
                parts.append("[image]")
            elif isinstance(part.get("text"), str):
                parts.append(part["text"])
    return "\n".join(part for part in parts if part)


def output_text(output: Any) -> str:
    """A tool output as text: a string, ``{"content": …}``, content parts, else JSON."""
    if isinstance(output, str):
        return output
    if isinstance(output, dict) and isinstance(output.get("content"), (str, list)):
        return content_text(output["content"])
    if isinstance(output, list):
        return content_text(output)
    if output is None:
        return ""
    try:  # orjson: a bounded depth, where json.dumps could exhaust the stack
        return orjson.dumps(output).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return "[output not shown: nested too deep]"


def is_injected(text: str) -> bool:
    """Context Codex adds in the user's name, not a typed prompt."""
    return text.lstrip().startswith(INJECTED_PREFIXES)


def request_text(text: str) -> str:
    """The typed request of a prompt: below "## My request for Codex:" after an IDE header."""
    stripped = text.lstrip()
    if stripped.startswith(_IDE_HEADERS):
        at = stripped.find(_REQUEST_MARKER)
        if at >= 0:
            return stripped[at + len(_REQUEST_MARKER):].strip()
    return text.strip()


def title_from(text: str) -> str | None:
    """A sidebar title from a prompt: the request, whitespace collapsed, cut to 80 chars."""
    if is_injected(text):
        return None
    title = _SPACE.sub(" ", request_text(text[:65536])).strip()
    return title[:MAX_TITLE_CHARS] or None
