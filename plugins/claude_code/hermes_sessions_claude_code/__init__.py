"""Claude Code transcripts (``~/.claude/projects``) as a read-only source (S4).

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.names`, :mod:`.settings`, :mod:`.machines`, :mod:`.discovery`, :mod:`.records`,
:mod:`.classify` (what each record is, for every reader), :mod:`.legacy`, :mod:`.blocks`,
:mod:`.messages`, :mod:`.markup`, :mod:`.titles`, :mod:`.tokens`, :mod:`.summary`,
:mod:`.window_scan`, :mod:`.parse`, :mod:`.counts`, :mod:`.cache`, :mod:`.persist`,
:mod:`.listing`, :mod:`.transcripts`, :mod:`.sessions`, :mod:`.rows`, :mod:`.search`.

Start-up (issue 14): a store, and so this module, is built in every Web UI process, and most
users have no Claude Code. So this module imports only the names it registers under, each hook
imports what it uses when it runs, a listing or search on a machine without a projects root
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

    from .cache import SummaryCache, clear_default_cache
    from .ids import claude_code_session_id
    from .listing import list_claude_code_rows
    from .sessions import import_view, load_claude_code_session
    from .settings import ClaudeCodeSettings
    from .transcripts import claude_code_messages, read_transcript

__all__ = [
    "ClaudeCodeSettings",
    "SummaryCache",
    "claude_code_messages",
    "claude_code_session_id",
    "clear_default_cache",
    "import_view",
    "list_claude_code_rows",
    "load_claude_code_session",
    "read_transcript",
]

#: Public name → the module defining it, imported on first use (PEP 562); besides ``__all__``,
#: the plugin's names this module used to import. No ``__dir__``: pluggy reads every name
#: ``dir()`` gives when it registers this module.
_EXPORTS = {
    "ClaudeCodeSettings": "settings",
    "MIRRORED_PATTERNS": "machines",
    "STATE_FILE_NAME": "persist",
    **dict.fromkeys(("SummaryCache", "clear_default_cache", "default_cache"), "cache"),
    **dict.fromkeys(("claude_code_messages", "read_transcript"), "transcripts"),
    **dict.fromkeys(("claude_code_session_id", "owns_session_id"), "ids"),
    **dict.fromkeys(("import_view", "load_claude_code_session"), "sessions"),
    "list_claude_code_rows": "listing",
}


__getattr__ = names_on_first_use(__name__, _EXPORTS, globals())


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label=SOURCE_LABEL,
        writable=False,
        id_prefixes=(ID_PREFIX,),
        priority=60,
        description=(
            "Claude Code transcripts: <projects root>/<project>/<sessionId>.jsonl, read-only"
        ),
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    from .machines import no_claude_code_here

    roots = context.locations.claude_projects_roots()
    if no_claude_code_here(context, roots):
        return SourceListing(SOURCE_NAME, (), ())  # what listing missing roots gives
    from hermes_sessions_core.progress_reports import READING, progress_for
    from hermes_sessions_core.source_roots import list_by_machine

    from .cache import default_cache
    from .listing import list_claude_code_rows
    from .machines import claude_code_folders
    from .persist import STATE_FILE_NAME
    from .settings import ClaudeCodeSettings

    settings = ClaudeCodeSettings.from_context(context)
    progress = progress_for(context, READING, SOURCE_NAME)
    # Read-only commands ask for no cache file (core.persist_caches: False).
    state_file = (
        context.locations.state_dir / "cache" / STATE_FILE_NAME
        if context.setting("core", "persist_caches", True) else None
    )
    groups, problems = claude_code_folders(context, roots, settings, sync=True)
    local = next((group.folders for group in groups if group.machine is None), None)
    return list_by_machine(
        groups, problems, ID_PREFIX,
        lambda folders: list_claude_code_rows(
            folders, settings=settings, cache=default_cache(), limit=request.limit,
            # The state file keeps this machine's summaries; a mirror is re-read cheaply.
            state_file=state_file if folders == local else None, progress=progress,
        ),
    )


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    from .ids import owns_session_id

    if not owns_session_id(session_id):
        return None
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import default_cache
    from .machines import claude_code_folders
    from .sessions import load_claude_code_session
    from .settings import ClaudeCodeSettings

    settings = ClaudeCodeSettings.from_context(context)
    groups, _ = claude_code_folders(
        context, context.locations.claude_projects_roots(), settings, sync=False)
    session: Session | None = load_by_machine(
        groups, ID_PREFIX, session_id,
        lambda native_id, folders: load_claude_code_session(
            native_id, folders, metadata_only=metadata_only,
            default_workspace=context.locations.default_workspace,
            settings=settings, cache=default_cache(),
        ),
    )
    return session


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    from .ids import owns_session_id

    if not owns_session_id(session_id):
        return None
    from hermes_sessions_core.source_roots import load_by_machine

    from .cache import default_cache
    from .machines import claude_code_folders
    from .settings import ClaudeCodeSettings
    from .transcripts import read_transcript

    settings = ClaudeCodeSettings.from_context(context)
    groups, _ = claude_code_folders(
        context, context.locations.claude_projects_roots(), settings, sync=False)
    transcript: Transcript | None = load_by_machine(
        groups, ID_PREFIX, session_id,
        lambda native_id, folders: read_transcript(
            native_id, folders, settings=settings, cache=default_cache(), limit=limit,
        ),
    )
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
