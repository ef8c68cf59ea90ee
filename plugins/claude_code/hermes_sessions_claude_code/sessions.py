"""Claude Code transcripts as read-only :class:`Session` objects and import views (S1.17, S4.20).

A session built here can never be saved: it is ``read_only``, and windowed or metadata-only
loads are also flagged partial (S2.15).
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from hermes_sessions_core.models import Session

from .cache import SummaryCache, default_cache
from .discovery import scan_project
from .listing import summary_for
from .rows import row_from_summary
from .settings import ClaudeCodeSettings
from .subagents import link_subagents
from .transcripts import find_transcript_file, open_transcript, window_messages

__all__ = ["load_claude_code_session", "import_view"]

_ROW_ONLY = ("last_message_at", "user_message_count", "has_pending_user_message", "is_streaming")


def _subagents_of(file: Any, cache: SummaryCache) -> list[Any]:
    flat = scan_project(file.project_dir).flat_agents
    linked, _problems = link_subagents([file], flat, cache)
    return linked.get(file.path, [])


def load_claude_code_session(
    session_id: str,
    roots: Iterable[str | os.PathLike[str]],
    *,
    metadata_only: bool = False,
    default_workspace: str | None = None,
    settings: ClaudeCodeSettings | None = None,
    cache: SummaryCache | None = None,
) -> Session | None:
    """A read-only session for ``session_id``, or None if no such transcript exists."""
    settings = settings or ClaudeCodeSettings()
    cache = cache if cache is not None else default_cache()
    roots = list(roots)
    if metadata_only:
        file = find_transcript_file(session_id, roots, cache)
        if file is None:
            return None
        summary, _problem = summary_for(file, settings, cache, hook="hermes_sessions_load_session")
        if summary is None:
            return None
        row = row_from_summary(summary, _subagents_of(file, cache))
        session = _session_from_row(row, [], default_workspace)
        session.mark_partial(
            "metadata_only",
            message_count=summary.message_count,
            user_message_count=summary.user_message_count,
            last_message_at=summary.last_at,
        )
        return session
    opened = open_transcript(session_id, roots, settings, cache)
    if opened is None:
        return None
    file, parsed = opened
    summary = parsed.summary
    row = row_from_summary(summary, _subagents_of(file, cache))
    shown = window_messages(parsed.messages, settings.max_messages)
    session = _session_from_row(row, shown, default_workspace)
    if shown is not parsed.messages or summary.truncated:
        session.mark_partial(
            "tail_window",
            message_count=summary.message_count,
            user_message_count=summary.user_message_count,
            last_message_at=summary.last_at,
        )
    return session


def _session_from_row(
    row: dict[str, Any], messages: list[dict[str, Any]], default_workspace: str | None
) -> Session:
    record = {key: value for key, value in row.items() if key not in _ROW_ONLY}
    record["messages"] = messages
    return Session.from_record(record, default_workspace=default_workspace)


def import_view(
    session_id: str,
    roots: Iterable[str | os.PathLike[str]],
    *,
    settings: ClaudeCodeSettings | None = None,
    cache: SummaryCache | None = None,
) -> dict[str, Any] | None:
    """What "import" shows: the row fields and every parsed message, stored nowhere (S4.20).

    ``imported`` is False and ``read_only`` True; continuing means saving a copy, which the
    host does through the writable store with its own new id.
    """
    settings = settings or ClaudeCodeSettings()
    cache = cache if cache is not None else default_cache()
    opened = open_transcript(session_id, roots, settings, cache)
    if opened is None:
        return None
    file, parsed = opened
    view = row_from_summary(parsed.summary, _subagents_of(file, cache))
    view["imported"] = False
    view["read_only"] = True
    view["messages"] = parsed.messages
    return view
