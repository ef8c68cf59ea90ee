"""OpenAI Codex CLI rollouts (``$CODEX_HOME/sessions``) as a read-only source (issue 17).

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.settings`, :mod:`.machines` (roots on every machine), :mod:`.ids`,
:mod:`.discovery`, :mod:`.records`, :mod:`.meta`, :mod:`.summary_fields`, :mod:`.text`,
:mod:`.tokens`, :mod:`.replay` (records → the transcript the user saw), :mod:`.parse`,
:mod:`.window_scan` (a listing's view of a large file), :mod:`.summary`, :mod:`.counts`,
:mod:`.cache`, :mod:`.listing`, :mod:`.rows`, :mod:`.sessions` and :mod:`.search`.
"""

from __future__ import annotations

from hermes_sessions_core.hookspecs import ListRequest, SourceContext, hookimpl
from hermes_sessions_core.models import Session, SourceInfo, SourceListing, Transcript
from hermes_sessions_core.source_roots import list_by_machine, load_by_machine

from .cache import cache_for
from .ids import thread_id_of
from .listing import list_codex_rows
from .machines import codex_folders
from .search import hermes_sessions_rebuild_search_index, hermes_sessions_search  # noqa: F401
from .sessions import load_codex_session, read_codex_transcript
from .settings import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME, CodexSettings

__all__ = ["CodexSettings", "list_codex_rows", "load_codex_session", "read_codex_transcript"]


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
    settings = CodexSettings.from_context(context)
    groups, problems = codex_folders(context, settings, sync=True)
    cache = cache_for(context)
    return list_by_machine(groups, problems, ID_PREFIX, lambda homes: list_codex_rows(
        homes, settings=settings, cache=cache, limit=request.limit))


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
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
    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    transcript: Transcript | None = load_by_machine(
        groups, ID_PREFIX, session_id, lambda native, homes: (
        read_codex_transcript(thread, homes, settings=settings, cache=cache_for(context),
                              limit=limit)
        if (thread := thread_id_of(native)) is not None else None))
    return transcript
