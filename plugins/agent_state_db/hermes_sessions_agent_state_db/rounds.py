"""Conversation rounds for the gateway hand-off (S3.22, #1013).

A round is one or more user messages answered by the assistant. The count runs over the
stitched chain so compression does not reset it, and the connection is always closed (S8.2).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from hermes_sessions_core.times import to_epoch

from .connection import DEFAULT_LOCK_WAIT, AgentDatabaseMissing, LockWait, read_only
from .schema import probe
from .transcript import chain_segments, message_rows

__all__ = ["CONVERSATION_ROUND_THRESHOLD", "count_conversation_rounds"]

logger = logging.getLogger(__name__)

#: Rounds after which the host offers a hand-off (#1013).
CONVERSATION_ROUND_THRESHOLD = 10


def count_conversation_rounds(
    db_path: Path,
    session_id: str,
    since: float | None = None,
    *,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
) -> int:
    """Completed user→assistant exchanges, by timestamp then row id; errors give 0.

    ``since`` drops messages at or before it and messages whose time cannot be parsed. A
    trailing unanswered user message does not count; roles other than user and assistant are
    ignored.
    """
    try:
        with read_only(Path(db_path), busy_timeout) as connection:
            schema = probe(connection)
            if not {"session_id", "role", "timestamp"} <= schema.message_columns:
                return 0
            segments = chain_segments(connection, schema, session_id)
            rows = message_rows(connection, schema, segments, ("role", "timestamp"))
    except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
        logger.warning("counting rounds of %s in %s failed: %s", session_id, db_path, error)
        return 0
    limit = to_epoch(since) if since is not None else None
    rounds = 0
    asked = answered = False
    for row in rows:
        if since is not None:
            stamp = to_epoch(row.get("timestamp"))
            if stamp is None or limit is None or stamp <= limit:
                continue
        role = str(row.get("role") or "").strip().lower()
        if role == "user":
            if asked and answered:
                rounds += 1
                answered = False
            asked = True
        elif role == "assistant" and asked:
            answered = True
    if asked and answered:
        rounds += 1
    return rounds
