"""Opening one Claude Code session: find its file by id, parse it, window the messages.

Ids are looked up in the id → path map the listing keeps, and by a rescan only when that
misses, so opening a session never walks the whole tree twice. A full parse also refreshes
the cached row with exact figures (S4.17, S4.18, S4.20).
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from hermes_sessions_core.models import Transcript

from .cache import SummaryCache, default_cache
from .discovery import TranscriptFile, discover, resolve_roots, transcript_file_at
from .ids import id_for_resolved, owns_session_id
from .parse import ParsedTranscript, parse_transcript
from .settings import SOURCE_NAME, ClaudeCodeSettings

__all__ = [
    "find_transcript_file",
    "open_transcript",
    "window_messages",
    "read_transcript",
    "claude_code_messages",
]


def find_transcript_file(
    session_id: str, roots: Iterable[str | os.PathLike[str]], cache: SummaryCache
) -> TranscriptFile | None:
    """The file behind ``session_id`` under ``roots``, or None (S4.20)."""
    if not owns_session_id(session_id):
        return None
    roots = list(roots)
    resolved_roots = resolve_roots(roots, [])
    known = cache.path_for(session_id)
    if known is not None and any(
        known.startswith(root.rstrip("/") + "/") for root in resolved_roots
    ):
        file = transcript_file_at(known)
        if file is not None and id_for_resolved(file.path) == session_id:
            return file
    for file in discover(resolved_roots).sessions:
        if id_for_resolved(file.path) == session_id:
            cache.remember_path(session_id, file.path)
            return file
    return None


def open_transcript(
    session_id: str,
    roots: Iterable[str | os.PathLike[str]],
    settings: ClaudeCodeSettings,
    cache: SummaryCache,
) -> tuple[TranscriptFile, ParsedTranscript] | None:
    """Parse the session's file whole (or head + tail above the cap); None if not found."""
    file = find_transcript_file(session_id, roots, cache)
    if file is None:
        return None
    try:
        parsed = parse_transcript(file, settings)
    except OSError:
        return None  # vanished between lookup and read (cleanupPeriodDays)
    if parsed.has_conversation and not parsed.summary.truncated:
        cache.summaries.put(file.path, file.key, parsed.summary)
    return file, parsed


def window_messages(messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` most recent messages after a notice that earlier ones were left out (S4.17)."""
    if limit <= 0 or len(messages) <= limit:
        return messages
    left_out = len(messages) - limit
    notice = {
        "role": "system",
        "kind": "notice",
        "content": f"{left_out} earlier messages were left out; showing the most recent {limit}.",
    }
    return [notice, *messages[-limit:]]


def read_transcript(
    session_id: str,
    roots: Iterable[str | os.PathLike[str]],
    *,
    settings: ClaudeCodeSettings | None = None,
    cache: SummaryCache | None = None,
    limit: int | None = None,
) -> Transcript | None:
    """The session's transcript as a :class:`Transcript`, or None if not found."""
    settings = settings or ClaudeCodeSettings()
    opened = open_transcript(
        session_id, roots, settings, cache if cache is not None else default_cache()
    )
    if opened is None:
        return None
    _file, parsed = opened
    shown = window_messages(parsed.messages, limit if limit is not None else settings.max_messages)
    return Transcript(
        session_id=session_id,
        source=SOURCE_NAME,
        messages=tuple(shown),
        total_count=len(parsed.messages),
        truncated=parsed.summary.truncated,
    )


def claude_code_messages(
    session_id: str,
    roots: Iterable[str | os.PathLike[str]],
    *,
    settings: ClaudeCodeSettings | None = None,
    cache: SummaryCache | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The original's ``get_claude_code_session_messages``: a list, empty when not found."""
    transcript = read_transcript(session_id, roots, settings=settings, cache=cache, limit=limit)
    return list(transcript.messages) if transcript is not None else []
