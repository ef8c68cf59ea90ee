"""Opening one agent session: a read-only :class:`Session` or a :class:`Transcript` (S3.18, S6.12).

The Web UI store is asked first; this view answers for ids that exist only in the agent store,
with the stitched transcript and the same title and counts as the sidebar row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from hermes_sessions_core.hookspecs import ProjectFacts
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.models import Session, Transcript

from .connection import DEFAULT_LOCK_WAIT, AgentStoreLocked, LockWait, lock_wait, read_only
from .cron_jobs import read_cron_job_names
from .essentials import profiles_to_search
from .graph import LineageGraph
from .message_stats import message_stats
from .projects import cron_project_id
from .rows import RowContext, build_row
from .schema import probe
from .sources import DEFAULT_MESSAGING_SOURCES, SOURCE_NAME
from .transcript import stitched_messages

__all__ = ["AgentSessionView", "find_agent_session", "profiles_to_search"]

#: Row keys that describe a listing, not a session to keep.
_ROW_ONLY = frozenset({
    "actual_message_count", "is_streaming", "last_message_at", "user_message_count",
    "has_pending_user_message", "message_count",
})


@dataclass(frozen=True)
class AgentSessionView:
    """What one agent session looks like when opened: its row and stitched messages."""

    profile: str
    row: dict[str, Any]
    messages: list[dict[str, Any]]

    def to_session(self, locations: Locations, metadata_only: bool) -> Session:
        record = {k: v for k, v in self.row.items() if k not in _ROW_ONLY}
        record.update(read_only=True, is_cli_session=True, messages=list(self.messages))
        session = Session.from_record(record, default_workspace=locations.default_workspace)
        if metadata_only:
            session.mark_partial(
                "metadata_only",
                message_count=self.row.get("message_count"),
                user_message_count=self.row.get("user_message_count"),
                last_message_at=self.row.get("last_message_at"),
            )
        return session

    def to_transcript(self, limit: int | None) -> Transcript:
        return transcript_of(str(self.row["session_id"]), self.messages, limit)


def transcript_of(session_id: str, messages: list[dict[str, Any]], limit: int | None) -> Transcript:
    """The last ``limit`` messages (all with ``None``, none with 0) as a :class:`Transcript`."""
    window = messages[-limit:] if limit is not None and limit >= 0 else messages
    if limit == 0:
        window = []
    return Transcript(
        session_id=session_id,
        source=SOURCE_NAME,
        messages=tuple(window),
        total_count=len(messages),
        truncated=len(window) < len(messages),
    )


def _read_view(
    locations: Locations, profile: str, session_id: str, with_messages: bool,
    messaging: frozenset[str], busy_timeout: float | LockWait, projects: ProjectFacts | None,
) -> AgentSessionView | None:
    db_path = locations.state_db(profile)
    if not db_path.is_file():
        return None
    with read_only(db_path, busy_timeout) as connection:
        schema = probe(connection)
        if not schema.has_sessions:
            return None
        graph = LineageGraph(connection, schema)
        graph.load([session_id])
        if graph.get(session_id) is None:
            return None
        if schema.has_lineage:
            graph.load_ancestors([session_id])
        walk = graph.walk(session_id)
        stats = message_stats(connection, schema, walk.segments) if schema.listable else {}
        messages = (
            stitched_messages(connection, schema, session_id, graph=graph) if with_messages else []
        )
    context = RowContext(
        profile=profile,
        messaging=messaging,
        cron_names=dict(read_cron_job_names(locations.cron_jobs_file(profile))),
        cron_project_id=cron_project_id(projects, profile),
    )
    return AgentSessionView(profile, build_row(graph, walk, stats, context), messages)


def find_agent_session(
    locations: Locations,
    session_id: str,
    *,
    with_messages: bool = True,
    messaging: frozenset[str] = DEFAULT_MESSAGING_SOURCES,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
    every_profile: bool = True,
    projects: ProjectFacts | None = None,
) -> AgentSessionView | None:
    """The session from the first profile whose store holds it (the active profile only
    unless ``every_profile``), else None.

    A database that cannot be read is skipped. When no store answered, a store locked by
    another process raises :class:`AgentStoreLocked` (whether it holds the id cannot be
    known), else ``sqlite3.Error`` from the last one tried is raised so the core can report
    it. Every store shares one wait for locks (``busy_timeout``). ``projects`` (the hook's
    ``context.projects``) names the Cron Jobs project a cron session belongs to.
    """
    wait = lock_wait(busy_timeout)
    locked: AgentStoreLocked | None = None
    last_error: sqlite3.Error | None = None
    for profile in profiles_to_search(locations, every_profile):
        try:
            view = _read_view(
                locations, profile, session_id, with_messages, messaging, wait, projects
            )
        except AgentStoreLocked as error:
            locked = locked or error
            continue
        except OSError:
            continue  # gone meanwhile, or a FIFO beside it: the listing reports the store
        except sqlite3.Error as error:
            last_error = error
            continue
        if view is not None:
            return view
    if locked is not None:
        raise locked
    if last_error is not None:
        raise last_error
    return None
