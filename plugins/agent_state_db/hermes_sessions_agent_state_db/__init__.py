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

import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

from hermes_sessions_core.hookspecs import AgentTranscript, ListRequest, SourceContext, hookimpl
from hermes_sessions_core.locations import DEFAULT_PROFILE
from hermes_sessions_core.models import (
    ROLE_AGENT_STORE,
    Session,
    SourceInfo,
    SourceListing,
    Transcript,
)
from hermes_sessions_core.rows import SessionRow
from hermes_sessions_core.source_roots import list_by_machine, load_by_machine

from .cache import DEFAULT_TTL
from .connection import (
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_LOCK_WAIT,
    AgentStoreLocked,
    AgentStoreNotAFile,
    LockWait,
)
from .delete import delete_agent_session
from .lineage import lineage_metadata, lineage_report
from .listing import DEFAULT_LIMIT, clear_cache, list_agent_rows
from .machines import ID_PREFIX, other_machines, snapshot_locations
from .recovery_support import agent_transcript, known_session_ids, webui_rows_without_files
from .rounds import CONVERSATION_ROUND_THRESHOLD, count_conversation_rounds
from .search import hermes_sessions_search  # noqa: F401  (the search hookimpl)
from .session_view import find_agent_session, profiles_to_search, transcript_of
from .sources import SOURCE_NAME, messaging_sources_from
from .transcript import agent_messages

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


logger = logging.getLogger(__name__)


def _setting(context: SourceContext, key: str, default: Any) -> Any:
    return context.setting(SOURCE_NAME, key, default)


def _lock_wait(context: SourceContext) -> LockWait:
    """One hook call's allowance for waiting on writers' locks, shared by every store it reads
    (setting ``lock_wait``, seconds; issue 13)."""
    return LockWait(float(_setting(context, "lock_wait", DEFAULT_LOCK_WAIT)))


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
        listing = list_agent_rows(
            locations,
            profile,
            limit=limit,
            exclude_sources=_setting(context, "exclude_sources", ()),
            messaging_sources=messaging_sources_from(_setting(context, "messaging_sources", None)),
            ttl=float(_setting(context, "cache_ttl", DEFAULT_TTL)),
            busy_timeout=wait,
            webui_store=context.webui_store,
            projects=context.projects,
        )
        rows.extend(listing.rows)
        problems.extend(listing.problems)
    groups, machine_problems = other_machines(context, sync=True)
    problems.extend(machine_problems)
    if groups:
        remote = list_by_machine(
            groups, (), ID_PREFIX,
            lambda folders: _snapshot_rows(context, folders, limit, wait),
        )
        rows.extend(remote.rows)
        problems.extend(remote.problems)
    return SourceListing(SOURCE_NAME, tuple(rows), tuple(problems))


def _snapshot_rows(
    context: SourceContext, folders: list[str], limit: int, wait: LockWait
) -> SourceListing:
    """Rows of other machines' stores. They belong to no local profile, so (like other
    agents' rows) they carry none and show in every profile."""
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
    groups, _ = other_machines(context, sync=False)

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


@hookimpl
def hermes_sessions_load_session(
    context: SourceContext, session_id: str, metadata_only: bool
) -> Session | None:
    """Raises :class:`AgentStoreLocked` (a ``StorageError``) when the store that may hold the
    id is locked by another process: "not found" would be a guess."""
    remote = _on_other_machine(context, session_id, metadata_only, None, as_transcript=False)
    if remote is not None:
        return remote  # type: ignore[no-any-return]
    view = find_agent_session(
        context.locations,
        session_id,
        with_messages=not metadata_only,
        messaging=messaging_sources_from(_setting(context, "messaging_sources", None)),
        busy_timeout=_lock_wait(context),
        every_profile=_every_profile(context),
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
    try:
        view = find_agent_session(
            context.locations,
            session_id,
            messaging=messaging_sources_from(_setting(context, "messaging_sources", None)),
            busy_timeout=_lock_wait(context),
            every_profile=_every_profile(context),
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
    return delete_agent_session(
        locations.state_db(locations.active_profile()),
        session_id,
        busy_timeout=float(_setting(context, "busy_timeout", DEFAULT_BUSY_TIMEOUT)),
    )


@hookimpl
def hermes_sessions_count_rounds(
    context: SourceContext, profile: str, session_id: str, since: float | None
) -> int:
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
    return lineage_metadata(
        context.locations.state_db(profile),
        session_ids,
        messaging_sources=messaging_sources_from(_setting(context, "messaging_sources", None)),
        busy_timeout=_lock_wait(context),
    )


@hookimpl
def hermes_sessions_has_sessions(
    context: SourceContext, profile: str, session_ids: frozenset[str]
) -> Mapping[str, bool] | None:
    return known_session_ids(
        context.locations.state_db(profile),
        session_ids,
        busy_timeout=_lock_wait(context),
    )


@hookimpl
def hermes_sessions_recoverable_sessions(context: SourceContext, profile: str) -> list[Session]:
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
    return agent_transcript(context.locations, profile, session_id)
