"""Gemini CLI chats (``~/.gemini/tmp/<project>/chats/session-*.json[l]``) as a read-only source.

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.names`, :mod:`.settings`, :mod:`.locations`, :mod:`.discovery`, :mod:`.ids`,
:mod:`.reading`, :mod:`.conversation` (the JSONL replay rules), :mod:`.parts`,
:mod:`.transcripts`, :mod:`.summary`, :mod:`.window_scan`, :mod:`.workspace`, :mod:`.cache`,
:mod:`.listing`, :mod:`.rows`, :mod:`.sessions` and :mod:`.search`.

Start-up (issue 14): a store, and so this module, is built in every Web UI process, and most
users have no Gemini CLI. So this module imports only the names it registers under, each hook
imports what it uses when it runs, a listing or search on a machine without a Gemini CLI root
answers from :mod:`.locations` (path checks only), and the public names below load on first
use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from hermes_sessions_core.hookspecs import hookimpl
from hermes_sessions_core.lazy_names import names_on_first_use
from hermes_sessions_core.models import SourceInfo, SourceListing

from .names import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import ListRequest, SourceContext
    from hermes_sessions_core.models import Session, Transcript
    from hermes_sessions_core.search import SearchQuery, SearchResults

    from .cache import clear_default_cache
    from .listing import list_gemini_rows
    from .sessions import load_session, read_transcript
    from .settings import GeminiSettings

__all__ = ["GeminiSettings", "clear_default_cache", "list_gemini_rows", "load_session",
           "read_transcript"]

#: Public name → the module defining it, imported on first use (PEP 562); besides ``__all__``,
#: the plugin's names this module used to import. No ``__dir__``: pluggy reads every name
#: ``dir()`` gives when it registers this module.
_EXPORTS = {
    "GeminiSettings": "settings",
    **dict.fromkeys(("clear_default_cache", "default_cache"), "cache"),
    "list_gemini_rows": "listing",
    "machine_folders": "locations",
    "owns_session_id": "ids",
    **dict.fromkeys(("load_session", "read_transcript"), "sessions"),
}


__getattr__ = names_on_first_use(__name__, _EXPORTS, globals())


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
    from .locations import no_gemini_here

    if no_gemini_here(context):
        return SourceListing(SOURCE_NAME, (), ())  # what listing a missing root gives
    from hermes_sessions_core.progress_reports import READING, progress_for
    from hermes_sessions_core.source_roots import list_by_machine

    from .cache import default_cache
    from .listing import list_gemini_rows
    from .locations import machine_folders
    from .settings import GeminiSettings

    settings = GeminiSettings.from_context(context)
    groups, problems = machine_folders(context, settings, sync=True)
    progress = progress_for(context, READING, SOURCE_NAME)
    return list_by_machine(groups, problems, ID_PREFIX, lambda folders: list_gemini_rows(
        folders, settings=settings, cache=default_cache(), limit=request.limit,
        progress=progress))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    from .ids import owns_session_id

    if not owns_session_id(session_id):
        return None
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import default_cache
    from .locations import machine_folders
    from .sessions import load_session
    from .settings import GeminiSettings

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
    from .ids import owns_session_id

    if not owns_session_id(session_id):
        return None
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import default_cache
    from .locations import machine_folders
    from .sessions import read_transcript
    from .settings import GeminiSettings

    settings = GeminiSettings.from_context(context)
    groups, _problems = machine_folders(context, settings, sync=False)
    found: Transcript | None = load_by_machine(groups, ID_PREFIX, session_id, lambda local, f: (
        read_transcript(local, f, settings=settings, cache=default_cache(), limit=limit)))
    return found


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is None:  # else the search module answers None
        from .locations import empty_search

        answer = empty_search(context)
        if answer is not None:
            return answer
    from . import search

    return search.hermes_sessions_search(context, query)


@hookimpl
def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    from . import search

    return search.hermes_sessions_rebuild_search_index(context, progress)
