"""Opening one Codex thread: find its rollout by id, parse it, window the messages.

Ids are looked up in the id → path map the listing keeps, and by a rescan only when that
misses. A full parse also refreshes the cached row with exact figures. Sessions built here can
never be saved: they are ``read_only``, and windowed or metadata-only loads are partial (S2.15).
A sub-agent thread opens like any other, with ``parent_session_id`` naming its parent.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from hermes_sessions_core.errors import SessionUnreadable
from hermes_sessions_core.models import Session, Transcript

from .cache import CodexCache
from .discovery import RolloutFile, discover, rollout_file_at
from .ids import session_id_for
from .listing import summary_for, with_exact_counts
from .parse import ParsedRollout, parse_rollout
from .rows import row_from_summary
from .settings import SOURCE_NAME, CodexSettings
from .summary import NotARollout, RolloutSummary

__all__ = ["find_rollout", "load_codex_session", "read_codex_transcript", "window_messages"]

_ROW_ONLY = ("last_message_at", "user_message_count", "has_pending_user_message", "is_streaming")


def find_rollout(
    thread_id: str, homes: Iterable[str | os.PathLike[str]], cache: CodexCache
) -> RolloutFile | None:
    """The rollout of ``thread_id`` under ``homes``, or None."""
    found = discover(homes)
    known = cache.path_for(thread_id)
    if known is not None and any(known[0].startswith(root.rstrip("/") + "/")
                                 for root in found.roots):
        file = rollout_file_at(*known)
        if file is not None and file.thread_id == thread_id:
            return file
    matches = [file for file in found.files if file.thread_id == thread_id]
    if not matches:
        return None
    file = max(matches, key=lambda f: (not f.archived, f.mtime_ns))
    cache.remember_path(thread_id, file.path, file.archived)
    return file


def _children(thread_id: str, cache: CodexCache) -> list[RolloutSummary]:
    """Sub-agents of ``thread_id`` the cache knows (a listing has seen them)."""
    known = [value for _path, (_key, value) in cache.summaries.items()]
    found = [s for s in known if isinstance(s, RolloutSummary)
             and s.meta.is_subagent and s.meta.parent_thread_id == thread_id]
    return sorted(found, key=lambda child: (child.first_at or 0.0, child.thread_id))


def window_messages(messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` most recent messages after a notice that earlier ones were left out."""
    if limit <= 0 or len(messages) <= limit:
        return messages
    left_out = len(messages) - limit
    notice = {
        "role": "system", "kind": "notice",
        "content": f"{left_out} earlier messages were left out; showing the most recent {limit}.",
    }
    return [notice, *messages[-limit:]]


def _open(
    thread_id: str, homes: list[str], settings: CodexSettings, cache: CodexCache
) -> tuple[RolloutFile, ParsedRollout] | None:
    file = find_rollout(thread_id, homes, cache)
    if file is None:
        return None
    try:
        parsed = parse_rollout(file, settings)
    except (FileNotFoundError, NotARollout):
        return None
    except OSError as error:  # a FIFO swapped in, or no permission: exists, cannot be read
        raise SessionUnreadable(session_id_for(thread_id), file.path, str(error)) from None
    if not parsed.summary.truncated:
        cache.summaries.put(file.path, file.key, parsed.summary)
    return file, parsed


def _session(row: dict[str, Any], messages: list[dict[str, Any]],
             default_workspace: str | None) -> Session:
    record = {key: value for key, value in row.items() if key not in _ROW_ONLY}
    record["messages"] = messages
    return Session.from_record(record, default_workspace=default_workspace)


def load_codex_session(
    thread_id: str,
    homes: Iterable[str | os.PathLike[str]],
    *,
    metadata_only: bool = False,
    default_workspace: str | None = None,
    settings: CodexSettings | None = None,
    cache: CodexCache | None = None,
) -> Session | None:
    """A read-only session for ``thread_id``, or None if no such rollout exists."""
    settings = settings or CodexSettings()
    cache = cache if cache is not None else CodexCache(settings.cache_entries)
    folders = [os.fspath(home) for home in homes]
    if metadata_only:
        file = find_rollout(thread_id, folders, cache)
        if file is None:
            return None
        summary, _problem = summary_for(file, settings, cache, "hermes_sessions_load_session")
        if summary is None:
            return None
        if summary.estimated and not summary.truncated:  # one file: its exact figures
            summary, _read = with_exact_counts(file, summary, cache, file.size, settings)
        session = _session(row_from_summary(summary, _children(thread_id, cache)), [],
                           default_workspace)
        session.mark_partial(
            "metadata_only", message_count=summary.message_count,
            user_message_count=summary.user_message_count, last_message_at=summary.last_at,
        )
        return session
    opened = _open(thread_id, folders, settings, cache)
    if opened is None:
        return None
    _file, parsed = opened
    summary = parsed.summary
    shown = window_messages(parsed.messages, settings.max_messages)
    session = _session(row_from_summary(summary, _children(thread_id, cache)), shown,
                       default_workspace)
    if shown is not parsed.messages or summary.truncated:
        session.mark_partial(
            "tail_window", message_count=summary.message_count,
            user_message_count=summary.user_message_count, last_message_at=summary.last_at,
        )
    return session


def read_codex_transcript(
    thread_id: str,
    homes: Iterable[str | os.PathLike[str]],
    *,
    settings: CodexSettings | None = None,
    cache: CodexCache | None = None,
    limit: int | None = None,
) -> Transcript | None:
    """The thread's transcript, or None if not found (damage is skipped, never raised)."""
    settings = settings or CodexSettings()
    cache = cache if cache is not None else CodexCache(settings.cache_entries)
    try:
        opened = _open(thread_id, [os.fspath(home) for home in homes], settings, cache)
    except SessionUnreadable:
        return None
    if opened is None:
        return None
    _file, parsed = opened
    shown = window_messages(parsed.messages, limit if limit is not None else settings.max_messages)
    return Transcript(
        session_id=session_id_for(thread_id), source=SOURCE_NAME, messages=tuple(shown),
        total_count=len(parsed.messages), truncated=parsed.summary.truncated,
    )
