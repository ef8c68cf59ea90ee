"""The Hermes agent's SQLite store (``<profile home>/state.db``) as a read-only source (S3).

CLI, messaging-gateway and cron sessions, with compression chains collapsed into one row and
stitched into one transcript. This module holds only the hook implementations; the public
functions for the host's compatibility layer are re-exported here.

Settings (``SessionStore(settings={"agent_state_db": {...}})``): ``limit``,
``exclude_sources``, ``messaging_sources``, ``cache_ttl`` (5 s), ``search_every_profile``,
``search_scan_limit``; ``lock_wait`` (0.75 s): how long one read call (a listing of every
profile, one opened session) may wait in total for another process's lock on ``state.db``;
``busy_timeout`` (5 s): how long a delete waits for it; ``roots``: stores on other machines
(see :mod:`.machines`).
"""

from __future__ import annotations

# Start-up (issue 14): every process that builds a store imports this module, and on many
# machines there is no state.db. So it imports only core names and the plain constants of
# .essentials; a hook imports the readers (sqlite3, a dozen modules of dataclasses) once a
# stat says there is a store to read, and the public functions load on first use
# (``__getattr__`` below).
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.hookspecs import hookimpl
from hermes_sessions_core.lazy_names import names_on_first_use
from hermes_sessions_core.models import ROLE_AGENT_STORE, Problem, SourceInfo, SourceListing

from .essentials import (
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_LIMIT,
    DEFAULT_LOCK_WAIT,
    DEFAULT_TTL,
    ID_PREFIX,
    SOURCE_NAME,
    LockWait,
    SearchPlan,
    messaging_sources_from,
    missing_database,
    profiles_to_search,
)

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import (
        AgentTranscript,
        ListRequest,
        ProjectFacts,
        SourceContext,
    )
    from hermes_sessions_core.locations import Locations
    from hermes_sessions_core.models import Session, Transcript
    from hermes_sessions_core.search import SearchQuery, SearchResults
    from hermes_sessions_core.source_roots import MachineFolders

    from .connection import AgentStoreLocked as AgentStoreLocked
    from .connection import AgentStoreNotAFile as AgentStoreNotAFile
    from .delete import delete_agent_session as delete_agent_session
    from .lineage import lineage_metadata as lineage_metadata
    from .lineage import lineage_report as lineage_report
    from .listing import clear_cache as clear_cache
    from .listing import list_agent_rows as list_agent_rows
    from .rounds import CONVERSATION_ROUND_THRESHOLD as CONVERSATION_ROUND_THRESHOLD
    from .rounds import count_conversation_rounds as count_conversation_rounds
    from .transcript import agent_messages as agent_messages

__all__ = [
    "CONVERSATION_ROUND_THRESHOLD",
    "AgentStoreLocked",
    "AgentStoreNotAFile",
    "agent_messages",
    "clear_cache",
    "count_conversation_rounds",
    "delete_agent_session",
    "lineage_metadata",
    "lineage_report",
    "list_agent_rows",
]

#: Where each name this package re-exports lives; imported on first use (PEP 562). Besides
#: ``__all__``, the functions this module imported before it imported lazily.
_LAZY = {
    **dict.fromkeys(("AgentStoreLocked", "AgentStoreNotAFile"), "connection"),
    **dict.fromkeys(("CONVERSATION_ROUND_THRESHOLD", "count_conversation_rounds"), "rounds"),
    **dict.fromkeys(("clear_cache", "list_agent_rows"), "listing"),
    **dict.fromkeys(("lineage_metadata", "lineage_report"), "lineage"),
    **dict.fromkeys(("find_agent_session", "transcript_of"), "session_view"),
    **dict.fromkeys(("known_session_ids", "webui_rows_without_files"), "recovery_support"),
    **dict.fromkeys(("other_machines", "snapshot_locations"), "machines"),
    "agent_messages": "transcript",
    "agent_transcript": "agent_files",
    "delete_agent_session": "delete",
}


__getattr__ = names_on_first_use(__name__, _LAZY, globals())


# No ``__dir__``: pluggy registers a plugin by reading every name ``dir()`` lists, which
# would import all of the above.

logger = logging.getLogger(__name__)

_LIST_HOOK = "hermes_sessions_list_rows"


def _setting(context: SourceContext, key: str, default: Any) -> Any:
    return context.setting(SOURCE_NAME, key, default)


def _lock_wait(context: SourceContext) -> LockWait:
    """One hook call's allowance for waiting on writers' locks, shared by every store it reads
    (setting ``lock_wait``, seconds; issue 13)."""
    return LockWait(float(_setting(context, "lock_wait", DEFAULT_LOCK_WAIT)))


def _other_machines(
    context: SourceContext, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """:func:`.machines.other_machines`; with no ``roots`` setting there are none, and
    neither it nor the remote mirror is imported."""
    if not _setting(context, "roots", None):
        return [], []
    from .machines import other_machines

    return other_machines(context, sync)


@hookimpl
def hermes_sessions_source_info() -> SourceInfo:
    return SourceInfo(
        name=SOURCE_NAME,
        label="Agent",
        writable=False,
        id_prefixes=(),
        priority=50,
        description="Hermes agent sessions: <profile home>/state.db (read-only, chains stitched)",
        roles=frozenset({ROLE_AGENT_STORE}),
    )


@hookimpl
def hermes_sessions_list_rows(context: SourceContext, request: ListRequest) -> SourceListing:
    locations = context.locations
    profiles = [request.profile]
    if request.all_profiles:
        profiles = list(request.profiles) or locations.known_profiles()
    limit = (
        request.limit if request.limit is not None
        else _setting(context, "limit", DEFAULT_LIMIT)
    )
    rows: list[Any] = []
    problems: list[Any] = []
    seen_databases = set()
    wait = _lock_wait(context)  # one wait for the whole listing, not one per profile
    for profile in profiles:
        database = locations.state_db(profile)
        if database in seen_databases:
            continue  # `default` and a renamed root share one store (S7.4)
        seen_databases.add(database)
        exclude_sources = _setting(context, "exclude_sources", ())
        messaging_sources = messaging_sources_from(_setting(context, "messaging_sources", None))
        ttl = float(_setting(context, "cache_ttl", DEFAULT_TTL))
        listing = _listing_without_store(
            locations, profile, limit, exclude_sources, context.projects
        )
        if listing is None:
            from .listing import list_agent_rows

            listing = list_agent_rows(
                locations,
                profile,
                limit=limit,
                exclude_sources=exclude_sources,
                messaging_sources=messaging_sources,
                ttl=ttl,
                busy_timeout=wait,
                webui_store=context.webui_store,
                projects=context.projects,
            )
        rows.extend(listing.rows)
        problems.extend(listing.problems)
    groups, machine_problems = _other_machines(context, sync=True)
    problems.extend(machine_problems)
    if groups:
        from hermes_sessions_core.source_roots import list_by_machine

        remote = list_by_machine(
            groups, (), ID_PREFIX,
            lambda folders: _snapshot_rows(context, folders, limit, wait),
        )
        rows.extend(remote.rows)
        problems.extend(remote.problems)
    return SourceListing(SOURCE_NAME, tuple(rows), tuple(problems))


def _listing_without_store(
    locations: Locations, profile: str | None, limit: Any, exclude_sources: Any,
    projects: ProjectFacts | None,
) -> SourceListing | None:
    """What :func:`.listing.list_agent_rows` answers for a profile with no ``state.db`` (one
    ``AgentDatabaseMissing`` problem, not logged: no agent on this machine is normal), found
    with one ``stat`` and without importing it; None when there is a store to read."""
    name = locations.active_profile(profile)
    limit = int(limit)  # as list_agent_rows takes its arguments, so bad settings still raise
    db_path = locations.state_db(name)
    missing = missing_database(db_path)
    if missing is None:
        return None
    excluded = frozenset(s.strip().lower() for s in exclude_sources)
    if projects is not None and "cron" not in excluded:
        projects.cron_project_id(name)  # asked before the file check there: same reports
    return SourceListing(SOURCE_NAME, (), (Problem.from_exception(
        SOURCE_NAME, _LIST_HOOK, missing, path=str(db_path)),))


def _snapshot_rows(
    context: SourceContext, folders: list[str], limit: int, wait: LockWait
) -> SourceListing:
    """Rows of other machines' stores. They belong to no local profile, so (like other
    agents' rows) they carry none and show in every profile."""
    from hermes_sessions_core.locations import DEFAULT_PROFILE
    from hermes_sessions_core.rows import SessionRow

    from .listing import list_agent_rows
    from .machines import snapshot_locations

    rows: list[Any] = []
    problems: list[Any] = []
    for folder in folders:
        listing = list_agent_rows(
            snapshot_locations(context.locations, folder), DEFAULT_PROFILE, limit=limit,
            exclude_sources=_setting(context, "exclude_sources", ()),
            messaging_sources=messaging_sources_from(_setting(context, "messaging_sources", None)),
            ttl=float(_setting(context, "cache_ttl", DEFAULT_TTL)), busy_timeout=wait,
        )
        rows.extend(SessionRow.adopt({**row, "profile": None}) for row in listing.rows)
        problems.extend(listing.problems)
    return SourceListing(SOURCE_NAME, tuple(rows), tuple(problems))


def _on_other_machine(
    context: SourceContext, session_id: str, metadata_only: bool, limit: int | None,
    as_transcript: bool,
) -> Any:
    """The session or transcript of a ``<machine>__<id>`` id from that machine's snapshot;
    None when no configured machine has that name (then the id is an ordinary one)."""
    if "__" not in session_id:
        return None
    groups, _ = _other_machines(context, sync=False)
    if not groups:
        return None  # what load_by_machine answers without a machine to look in
    from hermes_sessions_core.source_roots import load_by_machine

    from .machines import snapshot_locations
    from .session_view import find_agent_session

    def load(native_id: str, folders: list[str]) -> Any:
        for folder in folders:
            view = find_agent_session(
                snapshot_locations(context.locations, folder), native_id,
                with_messages=as_transcript or not metadata_only,
                messaging=messaging_sources_from(_setting(context, "messaging_sources", None)),
                busy_timeout=_lock_wait(context), every_profile=False,
            )
            if view is not None:
                if as_transcript:
                    return view.to_transcript(limit)
                session = view.to_session(snapshot_locations(context.locations, folder),
                                          metadata_only)
                session.profile = None
                return session
        return None

    return load_by_machine(groups, ID_PREFIX, session_id, load)


def _every_profile(context: SourceContext) -> bool:
    """Whether an id is looked up in every profile's store (the CLI's `show`), or only the
    active one (a host serving one profile per request sets ``search_every_profile`` off)."""
    return bool(_setting(context, "search_every_profile", True))


def _any_store(locations: Locations, every_profile: bool) -> bool:
    """Whether a profile an id is looked up in has a ``state.db`` file: when none has, the
    readers answer None without opening anything. A path the OS will not examine counts as
    there, for the readers to skip or report as they do."""
    for profile in profiles_to_search(locations, every_profile):
        try:
            if locations.state_db(profile).is_file():
                return True
        except (OSError, ValueError):
            return True
    return False


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    """Raises :class:`AgentStoreLocked` (a ``StorageError``) when the store that may hold the
    id is locked by another process: "not found" would be a guess."""
    remote = _on_other_machine(context, session_id, metadata_only, None, as_transcript=False)
    if remote is not None:
        return remote  # type: ignore[no-any-return]
    messaging = messaging_sources_from(_setting(context, "messaging_sources", None))
    wait = _lock_wait(context)
    every_profile = _every_profile(context)
    if not _any_store(context.locations, every_profile):
        return None
    from .session_view import find_agent_session

    view = find_agent_session(
        context.locations,
        session_id,
        with_messages=not metadata_only,
        messaging=messaging,
        busy_timeout=wait,
        every_profile=every_profile,
        projects=context.projects,
    )
    if view is None:
        return None
    return view.to_session(context.locations, metadata_only)


@hookimpl
def hermes_sessions_read_messages(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    remote = _on_other_machine(context, session_id, False, limit, as_transcript=True)
    if remote is not None:
        return remote  # type: ignore[no-any-return]
    messaging = messaging_sources_from(_setting(context, "messaging_sources", None))
    wait = _lock_wait(context)
    every_profile = _every_profile(context)
    if not _any_store(context.locations, every_profile):
        return None
    import sqlite3

    from .connection import AgentStoreLocked
    from .session_view import find_agent_session

    try:
        view = find_agent_session(
            context.locations,
            session_id,
            messaging=messaging,
            busy_timeout=wait,
            every_profile=every_profile,
        )
    except AgentStoreLocked as error:
        logger.warning("agent transcript %s unavailable: %s", session_id, error)
        return None
    except sqlite3.Error:
        return None  # damaged data never raises from here; the listing reports the store
    if view is None:
        return _messages_without_session_row(context, session_id, limit)
    return view.to_transcript(limit)


def _messages_without_session_row(
    context: SourceContext, session_id: str, limit: int | None
) -> Transcript | None:
    """Messages of an id the ``sessions`` table does not list (an older or partial store keeps
    only ``messages``): the transcript is still the agent's (S3.3)."""
    from .session_view import transcript_of
    from .transcript import agent_messages

    locations = context.locations
    wait = _lock_wait(context)
    for profile in profiles_to_search(locations, _every_profile(context)):
        database = locations.state_db(profile)
        if not database.is_file():
            continue
        messages = agent_messages(database, session_id, busy_timeout=wait)
        if messages:
            return transcript_of(session_id, messages, limit)
    return None


@hookimpl
def hermes_sessions_delete_session(context: SourceContext, session_id: str) -> bool:
    """The active profile's agent session and the segments its row collapsed, with a
    tombstone (S3.21); reached only when a host asks this source by name. The one write
    waits up to the ``busy_timeout`` setting (5 s) for the agent's lock."""
    locations = context.locations
    database = locations.state_db(locations.active_profile())
    busy_timeout = float(_setting(context, "busy_timeout", DEFAULT_BUSY_TIMEOUT))
    if missing_database(database) is not None:
        return False  # what delete_agent_session answers without a store
    from .delete import delete_agent_session

    return delete_agent_session(database, session_id, busy_timeout=busy_timeout)


@hookimpl
def hermes_sessions_count_rounds(
    context: SourceContext, profile: str, session_id: str, since: float | None
) -> int:
    from .rounds import count_conversation_rounds

    return count_conversation_rounds(
        context.locations.state_db(profile),
        session_id,
        since,
        busy_timeout=_lock_wait(context),
    )


@hookimpl
def hermes_sessions_lineage_metadata(
    context: SourceContext, profile: str, session_ids: frozenset[str]
) -> Mapping[str, Mapping[str, Any]]:
    database = context.locations.state_db(profile)
    messaging = messaging_sources_from(_setting(context, "messaging_sources", None))
    wait = _lock_wait(context)
    if missing_database(database) is not None:
        return {}  # what lineage_metadata answers without a store: Web UI rows have no lineage
    from .lineage import lineage_metadata

    return lineage_metadata(
        database, session_ids, messaging_sources=messaging, busy_timeout=wait
    )


@hookimpl
def hermes_sessions_has_sessions(
    context: SourceContext, profile: str, session_ids: frozenset[str]
) -> Mapping[str, bool] | None:
    from .recovery_support import known_session_ids

    return known_session_ids(
        context.locations.state_db(profile),
        session_ids,
        busy_timeout=_lock_wait(context),
    )


@hookimpl
def hermes_sessions_recoverable_sessions(context: SourceContext, profile: str) -> list[Session]:
    from .recovery_support import webui_rows_without_files

    return webui_rows_without_files(
        context.locations,
        profile,
        busy_timeout=_lock_wait(context),
        webui_store=context.webui_store,
    )


@hookimpl
def hermes_sessions_agent_transcript(
    context: SourceContext, profile: str, session_id: str
) -> AgentTranscript | None:
    from .agent_files import agent_transcript

    return agent_transcript(context.locations, profile, session_id)


@hookimpl
def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    """Full-text search of every profile's store (:mod:`.search`); without one, nothing is
    imported to find nothing."""
    if query.project_id is not None:
        return None  # agent sessions belong to no Web UI project
    plan = SearchPlan(context, query)
    if not plan.databases:
        from hermes_sessions_core.search import limit_results

        return limit_results(query, [], [], SOURCE_NAME)
    from .search import search_databases

    return search_databases(query, plan)
