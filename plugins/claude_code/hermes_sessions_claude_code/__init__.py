"""Claude Code transcripts (``~/.claude/projects``) as a read-only source (S4).

This module holds only the hook implementations; the work lives in modules named for their
concern: :mod:`.discovery`, :mod:`.records`, :mod:`.classify` (what each record is, for every
reader), :mod:`.legacy`, :mod:`.blocks`, :mod:`.messages`, :mod:`.markup`,
:mod:`.titles`, :mod:`.tokens`, :mod:`.summary`, :mod:`.window_scan`, :mod:`.parse`,
:mod:`.counts`, :mod:`.cache`, :mod:`.persist`, :mod:`.listing`, :mod:`.transcripts`,
:mod:`.sessions`, :mod:`.rows`.
"""

from __future__ import annotations

from hermes_sessions_core.hookspecs import ListRequest, SourceContext, hookimpl
from hermes_sessions_core.models import Problem, Session, SourceInfo, SourceListing, Transcript
from hermes_sessions_core.source_roots import (
    MachineFolders,
    folders_by_machine,
    list_by_machine,
    load_by_machine,
)

from .cache import SummaryCache, clear_default_cache, default_cache
from .ids import claude_code_session_id, owns_session_id
from .listing import list_claude_code_rows
from .machines import MIRRORED_PATTERNS
from .persist import STATE_FILE_NAME
from .search import hermes_sessions_rebuild_search_index, hermes_sessions_search  # noqa: F401
from .sessions import import_view, load_claude_code_session
from .settings import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME, ClaudeCodeSettings
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


def _machines(
    context: SourceContext, settings: ClaudeCodeSettings, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """This machine's projects roots and each configured remote one (as a mirror)."""
    return folders_by_machine(
        context, SOURCE_NAME, context.locations.claude_projects_roots(),
        patterns=MIRRORED_PATTERNS, max_files=settings.remote_max_files, sync=sync,
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    settings = ClaudeCodeSettings.from_context(context)
    # Read-only commands ask for no cache file (core.persist_caches: False).
    state_file = (
        context.locations.state_dir / "cache" / STATE_FILE_NAME
        if context.setting("core", "persist_caches", True) else None
    )
    groups, problems = _machines(context, settings, sync=True)
    local = next((group.folders for group in groups if group.machine is None), None)
    return list_by_machine(
        groups, problems, ID_PREFIX,
        lambda folders: list_claude_code_rows(
            folders, settings=settings, cache=default_cache(), limit=request.limit,
            # The state file keeps this machine's summaries; a mirror is re-read cheaply.
            state_file=state_file if folders == local else None,
        ),
    )


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    if not owns_session_id(session_id):
        return None
    settings = ClaudeCodeSettings.from_context(context)
    groups, _ = _machines(context, settings, sync=False)
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
    if not owns_session_id(session_id):
        return None
    settings = ClaudeCodeSettings.from_context(context)
    groups, _ = _machines(context, settings, sync=False)
    transcript: Transcript | None = load_by_machine(
        groups, ID_PREFIX, session_id,
        lambda native_id, folders: read_transcript(
            native_id, folders, settings=settings, cache=default_cache(), limit=limit,
        ),
    )
    return transcript
