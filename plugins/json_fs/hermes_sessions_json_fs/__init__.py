"""Web UI sessions as JSON files, one per session, on any fsspec filesystem (S2).

The local state dir by default; ``memory://``, ``s3://`` or ``sftp://`` through a session URL.
This module holds only the hook implementations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from hermes_sessions_core.errors import SessionUnreadable
from hermes_sessions_core.hookspecs import ListRequest, MaintenanceRequest, SourceContext, hookimpl
from hermes_sessions_core.models import (
    ROLE_WEBUI_STORE,
    Session,
    SourceInfo,
    SourceListing,
    Transcript,
)

from . import stored_facts
from .listed_rows import listed_rows_of
from .registry import SOURCE_NAME, forget_all, session_files_for
from .session_files import RECHECK_AFTER

if TYPE_CHECKING:  # search and maintenance load on first use: a listing needs neither
    from hermes_sessions_core.hookspecs import StoredSession
    from hermes_sessions_core.search import SearchQuery, SearchResults

    from .search_index import SearchIndex

__all__ = ["RECHECK_AFTER", "forget_all", "session_files_for"]


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label="WebUI",
        writable=True,
        priority=0,
        description="Web UI sessions: <state dir>/sessions/<id>.json and _index.json",
        roles=frozenset({ROLE_WEBUI_STORE}),
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    files = session_files_for(context)
    rows, problems = files.rows(request.in_memory_ids, request.row_exists)
    return SourceListing(SOURCE_NAME, listed_rows_of(files).adopt_all(rows), tuple(problems))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    files = session_files_for(context)
    if metadata_only:
        return files.load_metadata(session_id)
    return files.load(session_id)


@hookimpl
def hermes_sessions_is_current(context: SourceContext, session: Session) -> bool | None:
    seconds = float(context.setting(SOURCE_NAME, "recheck_after", RECHECK_AFTER) or 0)
    return session_files_for(context).is_current(session, recheck_after=seconds)


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    """The Web UI session's own messages, so every id can be opened the same way.

    A file that does not parse gives ``None`` here (the hook never raises for damaged data);
    ``SessionStore.get`` still names it, and the listing reports it.
    """
    try:
        session = session_files_for(context).load(session_id)
    except SessionUnreadable:
        return None
    if session is None:
        return None
    messages = session.messages
    shown = messages[-limit:] if limit is not None and limit > 0 else messages
    return Transcript(
        session_id=session_id,
        source=SOURCE_NAME,
        messages=tuple(m for m in shown if isinstance(m, dict)),
        total_count=len(messages),
        truncated=len(shown) < len(messages),
        tool_calls=tuple(c for c in session.tool_calls if isinstance(c, dict)),
    )


@hookimpl
def hermes_sessions_save_session(
    context: SourceContext, session: Session, skip_index: bool
) -> bool:
    session_files_for(context).save(session, skip_index=skip_index)
    _search_index(context).session_saved(session)  # never raises: marks stale
    return True


@hookimpl
def hermes_sessions_delete_session(context: SourceContext, session_id: str) -> bool:
    existed = session_files_for(context).delete(session_id)
    _search_index(context).session_deleted(session_id)  # never raises: marks stale
    return existed


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults:
    return _search_index(context).search(query)


@hookimpl
def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    return _search_index(context).rebuild(progress)


@hookimpl
def hermes_sessions_shutdown(context: SourceContext) -> None:
    session_files_for(context).close()


@hookimpl
def hermes_sessions_maintain(
    context: SourceContext, request: MaintenanceRequest
) -> Mapping[str, Any]:
    from .recovery import maintain

    return maintain(session_files_for(context), request)


@hookimpl
def hermes_sessions_stored_sessions(
    context: SourceContext, profile: str | None, session_ids: frozenset[str] | None
) -> list[StoredSession]:
    """Setting ``index_file``: an index a host keeps apart from the session folder."""
    return stored_facts.stored_sessions(
        session_files_for(context), context.locations, profile, session_ids,
        host_index=context.setting(SOURCE_NAME, "index_file", None),
    )


@hookimpl
def hermes_sessions_deleted_ids(context: SourceContext) -> frozenset[str]:
    return stored_facts.deleted_ids(session_files_for(context))


def _search_index(context: SourceContext) -> SearchIndex:
    from .search_index import search_index_for

    return search_index_for(context)
