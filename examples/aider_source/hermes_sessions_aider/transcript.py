"""A session's entries as the chat messages the Web UI shows.

Prompts are ``user`` messages and answers ``assistant`` messages. Aider's notes after the first
prompt (edits applied, commits, token reports, command output) are ``tool`` messages named
``aider``: Aider runs no tool calls of its own to pair them with. The startup banner before the
first prompt (version, model, repository) describes the session, so it feeds the row instead.
Aider records no time per message: each message's ``timestamp`` is ``None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hermes_sessions_core.regular_files import open_regular

from .history import Entry, SessionBlock, entries_of
from .settings import MAX_READ_BYTES

__all__ = ["messages_of", "read_transcript"]

_ROLES = {"prompt": "user", "answer": "assistant", "note": "tool"}


def messages_of(entries: list[Entry]) -> list[dict[str, Any]]:
    """Fresh message dicts, oldest first."""
    messages: list[dict[str, Any]] = []
    for entry in entries:
        if entry.kind == "note" and not messages:
            continue  # the startup banner
        message: dict[str, Any] = {"role": _ROLES[entry.kind], "content": entry.text,
                                   "timestamp": None}
        if entry.kind == "note":
            message["name"] = "aider"
        messages.append(message)
    return messages


def read_transcript(path: Path, block: SessionBlock) -> list[dict[str, Any]]:
    """One session's messages, read by its byte range (never blocking on a FIFO, never
    following a symbolic link); raises OSError."""
    with open_regular(path) as handle:
        handle.seek(block.start)
        data = handle.read(min(block.end - block.start, MAX_READ_BYTES))
    return messages_of(entries_of(data.decode("utf-8", errors="replace")))
