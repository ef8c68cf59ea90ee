"""OpenAI Codex CLI sessions as a read-only hermes-sessions source.

Reads ``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`` (``~/.codex`` by default, or the
``home`` setting of source ``codex``). Ids are ``codex_<thread id>``; each row carries the
``resume_command`` that continues the conversation in Codex. This module holds only the hook
implementations; registered through the ``hermes_sessions.plugins`` entry point ``codex``.
"""

from __future__ import annotations

from hermes_sessions_core.errors import SessionUnreadable
from hermes_sessions_core.hookspecs import ListRequest, SourceContext, hookimpl
from hermes_sessions_core.models import Session, SourceInfo, SourceListing, Transcript

from .discovery import find_rollout, thread_id_of
from .listing import list_rollouts
from .rows import to_session
from .settings import ID_PREFIX, SOURCE_NAME, row_limit, sessions_root
from .summary import NotARollout, cached_summary
from .transcript import read_transcript

__version__ = "0.1.0"


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label="Codex",
        writable=False,
        id_prefixes=(ID_PREFIX,),
        priority=80,
        description="OpenAI Codex CLI sessions: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl",
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    return list_rollouts(sessions_root(context), row_limit(context, request.limit))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    path = find_rollout(sessions_root(context), session_id)
    thread_id = thread_id_of(session_id)
    if path is None or thread_id is None:
        return None
    try:
        summary = cached_summary(path)
        messages = None if metadata_only else read_transcript(path)
    except (OSError, NotARollout, UnicodeDecodeError) as error:
        raise SessionUnreadable(session_id, str(path), str(error)) from None
    return to_session(session_id, thread_id, summary, messages, context.locations.default_workspace)


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    path = find_rollout(sessions_root(context), session_id)
    if path is None:
        return None
    try:
        cached_summary(path)  # a file that is not a rollout is "not found", never an error here
        messages = read_transcript(path)
    except (OSError, NotARollout, UnicodeDecodeError):
        return None
    shown = messages[-limit:] if limit else messages
    return Transcript(session_id, SOURCE_NAME, tuple(shown), total_count=len(messages))
