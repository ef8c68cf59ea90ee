"""Opening one OpenCode session: its summary, its messages with their parts, its transcript.

The id is looked up in the machine's listing (cached, so a warm open costs stats) and, for a
session the listing left out (a child, or one past ``max_sessions``), directly in each
database and legacy folder. Children open like any session and name their parent in
``parent_session_id``. What ``/undo`` took back is not shown (see :mod:`.revert`).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from typing import Any, Sequence

from hermes_sessions_core.models import Session, Transcript

from .cache import OpenCodeCache
from .connection import NotADatabase, open_read_only
from .database import read_messages, read_parts
from .ids import native_id_of, session_id_for
from .json_tree import DamagedFile, find_session_file, read_legacy_messages
from .listing import (
    MachineSessions,
    collect_sessions,
    folder_databases,
    legacy_summary,
    read_database,
    with_parts,
)
from .records import MessageRecord, SessionRecord
from .revert import split_at_revert
from .rows import row_from_summary
from .settings import SOURCE_NAME, OpenCodeSettings
from .summary import SessionSummary
from .transcript import build_messages, window_messages

__all__ = [
    "OpenedSession", "database_messages", "find_session", "full_messages",
    "load_opencode_session", "open_session", "read_opencode_transcript", "shown_transcript",
]

_ROW_ONLY = ("last_message_at", "user_message_count", "has_pending_user_message", "is_streaming")


@dataclass(frozen=True)
class OpenedSession:
    """A session found by id: its summary, its children, and its shown messages."""

    summary: SessionSummary
    children: list[SessionSummary]
    messages: list[dict[str, Any]]


def legacy_root(record: SessionRecord) -> str:
    """The data folder of a legacy session file (``<root>/storage/session/<project>/<id>.json``)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(record.path))))


def find_session(
    native_id: str, folders: list[str], settings: OpenCodeSettings, cache: OpenCodeCache,
    database_names: frozenset[str],
) -> tuple[SessionSummary, list[SessionSummary]] | None:
    """The summary and children of ``native_id`` on this machine, or None."""
    found = collect_sessions(folders, settings, cache, database_names)
    summary = found.summaries.get(native_id)
    if summary is not None:
        return summary, found.children_of(native_id)
    for folder in folders:
        resolved, databases = folder_databases(folder, database_names, [])
        if resolved is None:
            continue
        for path in databases:
            try:
                direct = read_database(path, settings, native_id=native_id).summaries
            except (sqlite3.Error, OSError, NotADatabase, ValueError):
                continue
            local = MachineSessions({s.record.native_id: s for s in direct})
            if native_id in local.summaries:
                return local.summaries[native_id], local.children_of(native_id)
        file = find_session_file(resolved, native_id)
        if file is not None:
            summary = legacy_summary(resolved, file, settings, cache, [])
            if summary is not None:
                return summary, found.children_of(native_id)
    return None


def database_messages(
    path: str, native_ids: Sequence[str], settings: OpenCodeSettings
) -> dict[str, list[MessageRecord]]:
    """The messages, parts attached, of several sessions of one database, read through one
    connection (a search opens many sessions at once)."""
    connection = open_read_only(path, settings.busy_timeout_ms)
    try:
        by_session = read_messages(connection, native_ids, max_bytes=settings.max_json_bytes)
        ids = [m.native_id for messages in by_session.values() for m in messages]
        parts = read_parts(connection, ids, max_bytes=settings.max_json_bytes,
                           max_chars=settings.max_content_chars)
    finally:
        connection.close()
    return {native: with_parts(messages, [m.native_id for m in messages], parts)
            for native, messages in by_session.items()}


def full_messages(record: SessionRecord, settings: OpenCodeSettings) -> list[MessageRecord]:
    """One session's messages with their parts, from whichever storage holds it."""
    if record.storage == "db":
        return database_messages(record.path, [record.native_id], settings).get(
            record.native_id, [])
    messages, _damaged = read_legacy_messages(legacy_root(record), record.native_id,
                                              with_parts=True, max_bytes=settings.max_json_bytes)
    return messages


def shown_transcript(
    summary: SessionSummary, messages: Sequence[MessageRecord], settings: OpenCodeSettings
) -> list[dict[str, Any]]:
    """The messages a transcript shows: up to any revert marker, built for display."""
    shown, _undone = split_at_revert(messages, summary.record.revert_message_id)
    return build_messages(shown, settings.max_content_chars)


def open_session(
    session_id: str, folders: list[str], settings: OpenCodeSettings, cache: OpenCodeCache,
    database_names: frozenset[str], metadata_only: bool = False,
) -> OpenedSession | None:
    """The session behind our id, its messages read unless ``metadata_only``; None if absent
    or unreadable now (a locked or vanished database)."""
    native_id = native_id_of(session_id)
    if native_id is None:
        return None
    found = find_session(native_id, folders, settings, cache, database_names)
    if found is None:
        return None
    summary, children = found
    if metadata_only:
        return OpenedSession(summary, children, [])
    try:
        messages = full_messages(summary.record, settings)
    except (sqlite3.Error, OSError, NotADatabase, DamagedFile, ValueError):
        return None
    return OpenedSession(summary, children, shown_transcript(summary, messages, settings))


def _parent_id(summary: SessionSummary) -> str | None:
    parent = summary.record.parent_id
    return session_id_for(parent) if parent else None


def load_opencode_session(
    session_id: str, folders: list[str], settings: OpenCodeSettings, cache: OpenCodeCache,
    database_names: frozenset[str], *, metadata_only: bool = False,
    default_workspace: str | None = None,
) -> Session | None:
    """A read-only :class:`Session`, or None. A metadata-only load is partial (never saved)."""
    opened = open_session(session_id, folders, settings, cache, database_names, metadata_only)
    if opened is None:
        return None
    summary = opened.summary
    row = row_from_summary(summary, opened.children, _parent_id(summary))
    row["session_id"] = session_id
    shown = window_messages(opened.messages, settings.max_messages)
    record = {key: value for key, value in row.items() if key not in _ROW_ONLY}
    record["messages"] = shown
    session = Session.from_record(record, default_workspace=default_workspace)
    if metadata_only:
        session.mark_partial("metadata_only", message_count=summary.message_count,
                             user_message_count=summary.user_message_count,
                             last_message_at=summary.last_at)
    elif shown is not opened.messages:
        session.mark_partial("tail_window", message_count=len(opened.messages),
                             user_message_count=summary.user_message_count,
                             last_message_at=summary.last_at)
    return session


def read_opencode_transcript(
    session_id: str, folders: list[str], settings: OpenCodeSettings, cache: OpenCodeCache,
    database_names: frozenset[str], *, limit: int | None = None,
) -> Transcript | None:
    """The session's :class:`Transcript` (the most recent ``limit`` messages), or None."""
    opened = open_session(session_id, folders, settings, cache, database_names)
    if opened is None:
        return None
    shown = window_messages(opened.messages, limit if limit is not None else settings.max_messages)
    return Transcript(session_id=session_id, source=SOURCE_NAME, messages=tuple(shown),
                      total_count=len(opened.messages))
