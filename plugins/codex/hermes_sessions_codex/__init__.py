"""OpenAI Codex CLI rollouts (``$CODEX_HOME/sessions``) as a read-only source (issue 17).

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.names`, :mod:`.settings`, :mod:`.machines` (roots on every machine), :mod:`.ids`,
:mod:`.discovery`, :mod:`.records`, :mod:`.meta`, :mod:`.summary_fields`, :mod:`.text`,
:mod:`.tokens`, :mod:`.replay` (records → the transcript the user saw), :mod:`.parse`,
:mod:`.window_scan` (a listing's view of a large file), :mod:`.summary`, :mod:`.counts`,
:mod:`.cache`, :mod:`.listing`, :mod:`.rows`, :mod:`.sessions` and :mod:`.search`.

Start-up (issue 14): a store, and so this module, is built in every Web UI process, and most
users have no Codex. So this module imports only the names it registers under, each hook
imports what it uses when it runs, a listing or search on a machine without a Codex home
answers from :mod:`.machines` (path checks only), and the public names below load on first use.
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

    from .listing import list_codex_rows
    from .sessions import load_codex_session, read_codex_transcript
    from .settings import CodexSettings

__all__ = ["CodexSettings", "list_codex_rows", "load_codex_session", "read_codex_transcript"]

#: Public name → the module defining it, imported on first use (PEP 562); besides ``__all__``,
#: the plugin's names this module used to import. No ``__dir__``: pluggy reads every name
#: ``dir()`` gives when it registers this module.
_EXPORTS = {
    "CodexSettings": "settings",
    "cache_for": "cache",
    "codex_folders": "machines",
    "list_codex_rows": "listing",
    "load_codex_session": "sessions",
    "read_codex_transcript": "sessions",
    "thread_id_of": "ids",
}


__getattr__ = names_on_first_use(__name__, _EXPORTS, globals())


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label=SOURCE_LABEL,
        writable=False,
        id_prefixes=(ID_PREFIX,),
        priority=61,
        description="OpenAI Codex CLI rollouts: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl, "
                    "read-only",
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    from .machines import no_codex_here

    if no_codex_here(context):
        return SourceListing(SOURCE_NAME, (), ())  # what listing a missing home gives
    from hermes_sessions_core.progress_reports import READING, progress_for
    from hermes_sessions_core.source_roots import list_by_machine

    from .cache import cache_for
    from .listing import list_codex_rows
    from .machines import codex_folders
    from .settings import CodexSettings

    settings = CodexSettings.from_context(context)
    groups, problems = codex_folders(context, settings, sync=True)
    cache = cache_for(context)
    progress = progress_for(context, READING, SOURCE_NAME)
    return list_by_machine(groups, problems, ID_PREFIX, lambda homes: list_codex_rows(
        homes, settings=settings, cache=cache, limit=request.limit, progress=progress))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import cache_for
    from .ids import thread_id_of
    from .machines import codex_folders
    from .sessions import load_codex_session
    from .settings import CodexSettings

    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    session: Session | None = load_by_machine(groups, ID_PREFIX, session_id, lambda native, homes: (
        load_codex_session(
            thread, homes, metadata_only=metadata_only, settings=settings,
            default_workspace=context.locations.default_workspace, cache=cache_for(context))
        if (thread := thread_id_of(native)) is not None else None))
    return session


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import cache_for
    from .ids import thread_id_of
    from .machines import codex_folders
    from .sessions import read_codex_transcript
    from .settings import CodexSettings

    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    transcript: Transcript | None = load_by_machine(
        groups, ID_PREFIX, session_id, lambda native, homes: (
        read_codex_transcript(thread, homes, settings=settings, cache=cache_for(context),
                              limit=limit)
        if (thread := thread_id_of(native)) is not None else None))
    return transcript


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is None:  # else the search module answers None
        from .machines import empty_search

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
