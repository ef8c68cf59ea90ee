"""Aider chat histories as a read-only hermes-sessions source.

Reads ``.aider.chat.history.md`` files (where: ``settings.py``); each ``# aider chat started
at`` in them is one session, with id ``aider_<project>_<start>``. Rows carry the
``resume_command`` that reopens the chat in Aider. This module holds only the hook
implementations; registered through the ``hermes_sessions.plugins`` entry point ``aider``.
"""

from __future__ import annotations

from hermes_sessions_core.errors import SessionUnreadable
from hermes_sessions_core.hookspecs import ListRequest, SourceContext, hookimpl
from hermes_sessions_core.models import Session, SourceInfo, SourceListing, Transcript

from .catalogue import find_session
from .listing import list_sessions
from .rows import to_session
from .settings import ID_PREFIX, SOURCE_NAME, history_places, row_limit
from .transcript import read_transcript

__version__ = "0.1.0"


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label="Aider",
        writable=False,
        id_prefixes=(ID_PREFIX,),
        priority=80,
        description="Aider chat histories: .aider.chat.history.md in each project",
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    return list_sessions(history_places(context), row_limit(context, request.limit))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    entry = find_session(history_places(context), session_id, "hermes_sessions_load_session")
    if entry is None:
        return None
    try:
        messages = None if metadata_only else read_transcript(entry.path, entry.summary.block)
    except OSError as error:
        raise SessionUnreadable(session_id, str(entry.path), str(error)) from None
    return to_session(session_id, entry.path, entry.summary, messages,
                      context.locations.default_workspace)


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    entry = find_session(history_places(context), session_id, "hermes_sessions_read_messages")
    if entry is None:
        return None
    try:
        messages = read_transcript(entry.path, entry.summary.block)
    except OSError:
        return None
    shown = messages[-limit:] if limit else messages
    return Transcript(session_id, SOURCE_NAME, tuple(shown), total_count=len(messages))

