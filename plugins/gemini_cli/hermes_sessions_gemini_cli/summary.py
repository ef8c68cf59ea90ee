"""What a sidebar row needs from one chat: :class:`ChatSummary`, frozen so caches can share it.

:func:`summarise` reads a whole replayed conversation (exact figures); :mod:`.window_scan`
builds the same record from a head and a tail window (``estimated``). Title: Gemini's own
``summary`` when it wrote one, else the first message the user really typed (slash commands
and tool replies fed back are not), else ``Gemini CLI Session``; whitespace collapsed, at most
80 characters. Tokens count once per ``gemini`` message id (a message appended again with
the same id replaced the first copy while replaying).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from typing import Any

from hermes_sessions_core.times import MAX_EPOCH, MIN_EPOCH, to_epoch
from hermes_sessions_core.usage import UsageTally

from .conversation import Conversation
from .parts import UserKind, collapse_whitespace, user_kind
from .transcripts import build_messages

__all__ = [
    "ChatSummary", "FALLBACK_TITLE", "MAX_TITLE_CHARS", "clean_title", "summarise", "add_usage",
    "TokenCounts", "chat_epoch", "usage_rows",
]

FALLBACK_TITLE = "Gemini CLI Session"
MAX_TITLE_CHARS = 80
MAX_FIELD_CHARS = 4096
#: (input, output, cached, thoughts, tool) as Gemini records them per message.
TokenCounts = tuple[int, int, int, int, int]


def clean_title(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = collapse_whitespace(value[: MAX_TITLE_CHARS * 64])
    return text[:MAX_TITLE_CHARS] if text else None


def chat_epoch(value: Any) -> float | None:
    """:func:`~hermes_sessions_core.times.to_epoch`, with a fast path for the
    ``2026-04-23T12:52:52.759Z`` form Gemini writes on every record (same result)."""
    if type(value) is str and len(value) > 19 and value[-1] == "Z" and value[10] == "T":
        try:
            number = _dt.datetime.fromisoformat(value[:-1] + "+00:00").timestamp()
        except (ValueError, OverflowError, OSError):
            return to_epoch(value)
        return number if MIN_EPOCH <= number <= MAX_EPOCH and math.isfinite(number) else None
    return to_epoch(value)


def _text(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= limit else None


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return int(value) if 0 <= value < 1e15 else 0


def token_counts(tokens: Any) -> TokenCounts | None:
    if not isinstance(tokens, dict):
        return None
    return (_count(tokens.get("input")), _count(tokens.get("output")),
            _count(tokens.get("cached")), _count(tokens.get("thoughts")),
            _count(tokens.get("tool")))


def add_usage(tally: UsageTally, message_id: str, at: float | None, model: str | None,
              counts: TokenCounts) -> None:
    """One ``gemini`` message's tokens. Gemini's ``input`` (promptTokenCount) includes the
    ``cached`` part, so input is ``input - cached + tool`` and cached is a cache read;
    ``thoughts`` are reasoning tokens; no cost is ever recorded by Gemini CLI."""
    given, output, cached, thoughts, tool = counts
    tally.add(message_id, at, model, input_tokens=max(given - cached, 0) + tool,
              output_tokens=output, cache_read_tokens=cached, reasoning_tokens=thoughts)


def usage_rows(usage: Any) -> tuple[tuple[tuple[str, Any], ...], ...]:
    """The usage records of ``((message id, (at, model, counts)), ...)``, frozen as tuples
    of items (rows turn them back into dicts), so a listing never re-tallies a cached chat."""
    tally = UsageTally()
    for message_id, (at, model, counts) in usage:
        add_usage(tally, message_id, at, model, counts)
    return tuple(tuple(record.items()) for record in tally.records())


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """One chat's row facts (``estimated``: counts and tokens from windows)."""

    path: str
    native_id: str
    kind: str
    project_hash: str | None
    directories: tuple[str, ...]
    first_at: float | None
    last_at: float | None
    title: str
    model: str | None
    models: tuple[str, ...]
    message_count: int
    user_message_count: int
    records: tuple[tuple[tuple[str, Any], ...], ...] = ()  # see usage_rows
    usage: tuple[tuple[str, Any], ...] = ()  # ((message id, (at, model, counts)), ...)
    bad_lines: int = 0
    rewinds: int = 0
    truncated: bool = False
    estimated: bool = False

    def usage_records(self) -> list[dict[str, Any]]:
        return [dict(record) for record in self.records]


def summarise(
    conversation: Conversation, path: str, mtime_ns: int, *, truncated: bool = False,
    max_chars: int = 200_000,
) -> ChatSummary | None:
    """Exact facts of a whole conversation; None when it has no session id."""
    header = conversation.header
    native = conversation.session_id
    if native is None:
        return None
    first_prompt: str | None = None
    users = 0
    stamps: list[float] = []
    models: list[str] = []
    last_model: str | None = None
    usage: dict[str, tuple[float | None, str | None, TokenCounts]] = {}
    for message_id, record in conversation.messages.items():
        at = chat_epoch(record.get("timestamp"))
        if at is not None:
            stamps.append(at)
        kind = record.get("type")
        if kind == "user":
            what, text = user_kind(record)
            if what in (UserKind.TYPED, UserKind.COMMAND):
                users += 1
            if what is UserKind.TYPED and first_prompt is None:
                first_prompt = clean_title(text)
        elif kind == "gemini":
            model = _text(record.get("model"), 256)
            if model:
                last_model = model
                if model not in models:
                    models.append(model)
            counts = token_counts(record.get("tokens"))
            if counts is not None and any(counts):
                usage[message_id] = (at, model, counts)
    summary_title = clean_title(header.get("summary"))
    start = chat_epoch(header.get("startTime"))
    updated = chat_epoch(header.get("lastUpdated"))
    candidates_first = [t for t in (start, min(stamps, default=None)) if t is not None]
    candidates_last = [t for t in (updated, max(stamps, default=None)) if t is not None]
    first_at = min(candidates_first) if candidates_first else None
    last_at = max(candidates_last) if candidates_last else None
    if first_at is None or last_at is None:
        fallback = mtime_ns / 1e9
        first_at = first_at if first_at is not None else (last_at or fallback)
        last_at = last_at if last_at is not None else first_at
    directories = header.get("directories")
    return ChatSummary(
        path=path,
        native_id=native,
        kind=conversation.kind,
        project_hash=_text(header.get("projectHash"), 256),
        directories=tuple(d for d in directories if _text(d)) if isinstance(directories, list)
        else (),
        first_at=first_at,
        last_at=last_at,
        title=summary_title or first_prompt or FALLBACK_TITLE,
        model=last_model,
        models=tuple(models),
        message_count=len(build_messages(conversation, max_chars)),
        user_message_count=users,
        records=usage_rows(usage.items()),
        usage=tuple(usage.items()),
        bad_lines=conversation.bad_lines,
        rewinds=conversation.rewinds,
        truncated=truncated,
    )
