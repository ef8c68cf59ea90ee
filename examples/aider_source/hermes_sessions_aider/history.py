"""Aider's chat history format: a file of sessions, each a run of prompts, answers and notes.

Aider appends to the file as it goes (``aider/io.py``):

- ``# aider chat started at YYYY-MM-DD HH:MM:SS`` (local time, no zone) starts a session;
- ``#### `` starts each line of what the user typed (a blank line ends the prompt);
- ``> `` starts each line of Aider's own output: its startup banner, "Applied edit to …",
  commits, token and cost reports, answers to its questions. A ``Cost:`` line may follow a
  ``Tokens:`` note without the ``> `` (Aider prints both as one note);
- everything else is the model's answer, Markdown whose code fences may hold lines starting
  with ``#### `` or ``> `` (an edited Markdown file): inside a fence they stay answer text.
  Outside a fence, an answer's own ``> `` quote cannot be told from a note: it reads as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["SessionBlock", "Entry", "split_sessions", "entries_of"]

_HEADER = re.compile(
    rb"^# aider chat started at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})[ \t]*\r?$", re.M
)
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_Kind = Literal["prompt", "answer", "note"]


@dataclass(frozen=True, slots=True)
class SessionBlock:
    """One session's place in the file: its header's time text and its byte range."""

    started: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A run of lines of one kind, without Aider's line markers."""

    kind: _Kind
    text: str


def split_sessions(data: bytes, offset: int = 0) -> list[SessionBlock]:
    """The sessions in ``data`` (read from byte ``offset`` of the file); text before the first
    header, which a read window may cut into, belongs to no session."""
    headers = list(_HEADER.finditer(data))
    ends = [match.start() for match in headers[1:]] + [len(data)]
    return [
        SessionBlock(match.group(1).decode("ascii"), offset + match.start(), offset + end)
        for match, end in zip(headers, ends)
    ]


def entries_of(block_text: str) -> list[Entry]:
    """A session's prompts, answers and notes in file order (the header line skipped)."""
    entries: list[Entry] = []
    kind: _Kind | None = None
    lines: list[str] = []
    fence: str | None = None

    def close() -> None:
        nonlocal kind, lines
        text = "\n".join(lines).strip("\n")
        if kind == "answer":
            text = text.strip()
        if kind is not None and text.strip() and text != "<blank>":
            entries.append(Entry(kind, text))
        kind, lines = None, []

    for line in block_text.split("\n")[1:]:
        line = line.rstrip("\r")
        if fence is None and (line.startswith("#### ") or line == "####"):
            if kind != "prompt":
                close()
                kind = "prompt"
            lines.append(line[5:].rstrip())
        elif fence is None and (line.startswith("> ") or line == ">"
                                or (kind == "note" and line.startswith("Cost: $"))):
            if kind != "note":
                close()
                kind = "note"
            lines.append(line.removeprefix(">").removeprefix(" ").rstrip())
        elif not line.strip() and kind != "answer":
            close()  # a blank line ends a prompt or a note; answers keep theirs
        else:
            if kind != "answer":
                close()
                kind = "answer"
            lines.append(line)
            opened = _FENCE.match(line.lstrip())
            if opened and fence is None:
                fence = opened.group(1)
            elif opened and fence is not None and opened.group(1).startswith(fence):
                fence = None
    close()
    return entries
