"""What the Web UI store's recovery asks of the agent store (S2.21, S2.25, S2.38).

Recovery restores an orphan backup only if the agent still has the session, the audit offers
agent ``webui`` rows that lost their Web UI file for materialisation, and the repair of an
interrupted turn adopts the agent's own ``sessions/session_<id>.json``. All read only and fail
open: a missing, locked, old-schema or unparseable store answers ``None`` / nothing.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import WebuiStoreFacts
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.models import Session

from .agent_files import MAX_AGENT_TRANSCRIPT_BYTES, agent_transcript
from .connection import DEFAULT_LOCK_WAIT, AgentDatabaseMissing, LockWait, read_only
from .field_caps import PATH_MAX_CHARS, TITLE_MAX_CHARS, capped, capped_path
from .graph import chunked
from .schema import probe
from .sources import source_fields
from .transcript import message_rows
from .webui_files import WebuiPresence

__all__ = [
    "MAX_AGENT_TRANSCRIPT_BYTES",
    "agent_transcript",
    "known_session_ids",
    "webui_rows_without_files",
]

logger = logging.getLogger(__name__)

_WORKTREE_COLUMNS = (
    "worktree_path", "worktree_branch", "worktree_repo_root", "worktree_created_at",
)


def known_session_ids(
    db_path: Path, session_ids: Iterable[str], busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT
) -> dict[str, bool] | None:
    """``{id: present}`` for every id, or ``None`` when the store cannot tell."""
    wanted = list(dict.fromkeys(session_ids))
    try:
        with read_only(db_path, busy_timeout) as connection:
            if not probe(connection).has_sessions:
                return None
            found: set[str] = set()
            for batch in chunked(wanted):
                placeholders = ", ".join("?" for _ in batch)
                found.update(
                    str(row[0])
                    for row in connection.execute(
                        f"SELECT id FROM sessions WHERE id IN ({placeholders})", batch
                    )
                )
    except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
        logger.info("agent store %s cannot answer for recovery (%s); failing open", db_path, error)
        return None
    return {session_id: session_id in found for session_id in wanted}


def webui_rows_without_files(
    locations: Locations,
    profile: str,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
    webui_store: WebuiStoreFacts | None = None,
) -> list[Session]:
    """Agent ``webui`` sessions the Web UI store (``webui_store``, the hook's
    ``context.webui_store``) neither holds nor deleted, as full sessions.

    Messages keep only role, content and timestamp, ordered by timestamp then row id (S2.25).
    """
    db_path = locations.state_db(profile)
    presence = WebuiPresence(webui_store)
    sessions: list[Session] = []
    try:
        with read_only(db_path, busy_timeout) as connection:
            schema = probe(connection)
            if not schema.listable:
                return []
            extra = [c for c in _WORKTREE_COLUMNS if c in schema.session_columns]
            select = schema.session_select() + "".join(
                f", {c} AS {c}" if c == "worktree_created_at"
                else f", substr({c}, 1, {PATH_MAX_CHARS}) AS {c}"
                for c in extra
            )
            cursor = connection.execute(
                f"SELECT {select} FROM sessions WHERE lower(source) = 'webui' "
                f"AND {schema.valid_id()}"
            )
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, values)) for values in cursor]
            hidden = presence.hidden(str(row["id"]) for row in rows)
            for row in rows:
                session_id = str(row["id"])
                if session_id in hidden:
                    continue
                messages = []
                if schema.has_transcripts:
                    kept = ("role", "content", "timestamp")
                    for message in message_rows(connection, schema, [session_id], kept):
                        messages.append({k: message.get(k) for k in kept})
                sessions.append(_as_session(row, messages, profile, locations))
    except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
        logger.info("agent store %s offers no sessions to recover (%s)", db_path, error)
        return []
    return sessions


def _as_session(
    row: dict[str, Any], messages: list[dict[str, Any]], profile: str, locations: Locations
) -> Session:
    fields = source_fields(row.get("source"))
    record: dict[str, Any] = {
        "session_id": str(row["id"]),
        "title": capped(row.get("title") or "", TITLE_MAX_CHARS),
        "model": row.get("model"),
        "parent_session_id": row.get("parent_session_id"),
        "created_at": row.get("started_at"),
        "updated_at": row.get("last_activity_at") or row.get("ended_at") or row.get("started_at"),
        "workspace": capped_path(row.get("cwd")),
        "profile": profile,
        "messages": messages,
        "source_tag": fields.source_tag,
        "raw_source": fields.raw_source,
        "session_source": fields.session_source,
        "source_label": fields.source_label,
    }
    for column in _WORKTREE_COLUMNS:
        if row.get(column) is not None:
            record[column] = row[column]
    return Session.from_record(record, default_workspace=locations.default_workspace)
