"""OpenCode sessions (``opencode.db`` and the legacy ``storage/`` tree) as a read-only source.

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.names`, :mod:`.settings`, :mod:`.homes` and :mod:`.roots` (where),
:mod:`.connection`, :mod:`.database` and :mod:`.json_tree` (reading), :mod:`.records`,
:mod:`.ids`, :mod:`.titles`, :mod:`.revert`, :mod:`.summary`, :mod:`.transcript`, :mod:`.rows`,
:mod:`.cache`, :mod:`.listing`, :mod:`.sessions` and :mod:`.search`.

Start-up (issue 14): a store, and so this module, is built in every Web UI process, and most
users have no OpenCode. So this module imports only the names it registers under, each hook
imports what it uses when it runs, a listing or search on a machine without an OpenCode data
folder answers from :mod:`.roots` (path checks only), and the public names below load on first
use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hermes_sessions_core.hookspecs import hookimpl
from hermes_sessions_core.lazy_names import names_on_first_use
from hermes_sessions_core.models import SourceInfo, SourceListing

from .names import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import ListRequest, SourceContext
    from hermes_sessions_core.models import Session, Transcript
    from hermes_sessions_core.search import SearchQuery, SearchResults

    from .ids import native_id_of, session_id_for
    from .settings import OpenCodeSettings

__all__ = ["OpenCodeSettings", "native_id_of", "session_id_for"]

#: Public name → the module defining it, imported on first use (PEP 562); besides ``__all__``,
#: the plugin's names this module used to import. No ``__dir__``: pluggy reads every name
#: ``dir()`` gives when it registers this module.
_EXPORTS = {
    "OpenCodeSettings": "settings",
    **dict.fromkeys(("native_id_of", "owns_session_id", "session_id_for"), "ids"),
    **dict.fromkeys(("context_database_names", "machine_folders"), "roots"),
    **dict.fromkeys(("load_opencode_session", "read_opencode_transcript"), "sessions"),
    "cache_for": "cache",
    "list_opencode_rows": "listing",
    "search_opencode": "search",
}


__getattr__ = names_on_first_use(__name__, _EXPORTS, globals())


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label=SOURCE_LABEL,
        writable=False,
        id_prefixes=(ID_PREFIX,),
        priority=63,
        description="OpenCode sessions: $XDG_DATA_HOME/opencode (opencode.db and storage/), "
                    "read-only",
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    from .roots import no_opencode_here

    if no_opencode_here(context):
        return SourceListing(SOURCE_NAME, (), ())  # what listing missing folders gives
    from hermes_sessions_core.source_roots import list_by_machine

    from .cache import cache_for
    from .listing import list_opencode_rows
    from .roots import context_database_names, machine_folders
    from .settings import OpenCodeSettings

    settings = OpenCodeSettings.from_context(context)
    cache = cache_for(context.state, settings.cache_entries)
    names = context_database_names(context)
    groups, problems = machine_folders(context, sync=True)
    return list_by_machine(groups, problems, ID_PREFIX, lambda folders: list_opencode_rows(
        folders, settings, cache, limit=request.limit, database_names=names))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    if not isinstance(session_id, str) or not session_id.startswith(ID_PREFIX):
        return None
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import cache_for
    from .ids import owns_session_id
    from .roots import context_database_names, machine_folders
    from .sessions import load_opencode_session
    from .settings import OpenCodeSettings

    settings = OpenCodeSettings.from_context(context)
    cache = cache_for(context.state, settings.cache_entries)
    names = context_database_names(context)
    groups, _problems = machine_folders(context, sync=False)
    loaded: Session | None = load_by_machine(
        groups, ID_PREFIX, session_id, lambda local_id, folders: (
            load_opencode_session(local_id, folders, settings, cache, names,
                                  metadata_only=metadata_only,
                                  default_workspace=context.locations.default_workspace)
            if owns_session_id(local_id) else None))
    return loaded


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    if not isinstance(session_id, str) or not session_id.startswith(ID_PREFIX):
        return None
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import cache_for
    from .ids import owns_session_id
    from .roots import context_database_names, machine_folders
    from .sessions import read_opencode_transcript
    from .settings import OpenCodeSettings

    settings = OpenCodeSettings.from_context(context)
    cache = cache_for(context.state, settings.cache_entries)
    names = context_database_names(context)
    groups, _problems = machine_folders(context, sync=False)
    transcript: Transcript | None = load_by_machine(
        groups, ID_PREFIX, session_id, lambda local_id, folders: (
            read_opencode_transcript(local_id, folders, settings, cache, names, limit=limit)
            if owns_session_id(local_id) else None))
    return transcript


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # OpenCode sessions belong to no Web UI project
    from .roots import no_opencode_here

    if no_opencode_here(context):  # what searching missing folders gives (no index here)
        from hermes_sessions_core.search import SearchResults

        return SearchResults((), (), (SOURCE_NAME,))
    from hermes_sessions_core.source_roots import search_by_machine

    from .cache import cache_for
    from .roots import context_database_names, machine_folders
    from .search import search_opencode
    from .settings import OpenCodeSettings

    settings = OpenCodeSettings.from_context(context)
    cache = cache_for(context.state, settings.cache_entries)
    names = context_database_names(context)
    groups, _problems = machine_folders(context, sync=False)
    return search_by_machine(groups, ID_PREFIX, lambda folders, _machine: search_opencode(
        folders, query, settings, cache, names))
