"""Gemini CLI chats (``~/.gemini/tmp/<project>/chats/session-*.json[l]``) as a read-only source.

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.locations`, :mod:`.discovery`, :mod:`.ids`, :mod:`.reading`,
:mod:`.conversation` (the JSONL replay rules), :mod:`.parts`, :mod:`.transcripts`,
:mod:`.summary`, :mod:`.window_scan`, :mod:`.workspace`, :mod:`.cache`, :mod:`.listing`,
:mod:`.rows`, :mod:`.sessions` and :mod:`.search`.
"""

from __future__ import annotations

from hermes_sessions_core.hookspecs import ListRequest, SourceContext, hookimpl
from hermes_sessions_core.models import Session, SourceInfo, SourceListing, Transcript
from hermes_sessions_core.source_roots import list_by_machine, load_by_machine

from .cache import clear_default_cache, default_cache
from .ids import owns_session_id
from .listing import list_gemini_rows
from .locations import machine_folders
from .search import hermes_sessions_rebuild_search_index, hermes_sessions_search  # noqa: F401
from .sessions import load_session, read_transcript
from .settings import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME, GeminiSettings

__all__ = ["GeminiSettings", "clear_default_cache", "list_gemini_rows", "load_session",
           "read_transcript"]


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label=SOURCE_LABEL,
        writable=False,
        id_prefixes=(ID_PREFIX,),
        priority=62,
        description="Gemini CLI chats: <.gemini>/tmp/<project>/chats/session-*.json[l], read-only",
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    settings = GeminiSettings.from_context(context)
    groups, problems = machine_folders(context, settings, sync=True)
    return list_by_machine(groups, problems, ID_PREFIX, lambda folders: list_gemini_rows(
        folders, settings=settings, cache=default_cache(), limit=request.limit))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    if not owns_session_id(session_id):
        return None
    settings = GeminiSettings.from_context(context)
    groups, _problems = machine_folders(context, settings, sync=False)
    found: Session | None = load_by_machine(groups, ID_PREFIX, session_id, lambda local, folders: (
        load_session(local, folders, metadata_only=metadata_only, settings=settings,
                     default_workspace=context.locations.default_workspace,
                     cache=default_cache())))
    return found


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    if not owns_session_id(session_id):
        return None
    settings = GeminiSettings.from_context(context)
    groups, _problems = machine_folders(context, settings, sync=False)
    found: Transcript | None = load_by_machine(groups, ID_PREFIX, session_id, lambda local, f: (
        read_transcript(local, f, settings=settings, cache=default_cache(), limit=limit)))
    return found
