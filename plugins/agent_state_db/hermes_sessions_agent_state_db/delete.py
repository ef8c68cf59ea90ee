"""Deleting an agent session: the only write this plugin makes (S3.21, S8.20).

The id and every continuation segment its row collapsed go in one transaction, so an older
segment cannot resurface as its own row after the tip is gone. Other children stay.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from .connection import DEFAULT_BUSY_TIMEOUT, AgentDatabaseMissing, writable
from .graph import LineageGraph, chunked
from .schema import probe

__all__ = ["delete_agent_session"]

logger = logging.getLogger(__name__)


def delete_agent_session(
    db_path: Path, session_id: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> bool:
    """Delete the session's messages and rows with its collapsed segments.

    True only if the row existed, so a second call returns False. When the agent's FTS
    triggers fail (no FTS5 here, for example) everything is rolled back, a warning names the
    cause, and False is returned.
    """
    try:
        with writable(Path(db_path), busy_timeout) as connection:
            schema = probe(connection)
            if not schema.has_sessions:
                return False
            connection.execute("BEGIN IMMEDIATE")
            try:
                graph = LineageGraph(connection, schema)
                graph.load([session_id])
                if graph.get(session_id) is None:
                    connection.execute("ROLLBACK")
                    return False
                segments = [session_id]
                if schema.has_lineage:
                    graph.load_ancestors([session_id])
                    segments = list(graph.walk(session_id).segments)
                for batch in chunked(segments):
                    placeholders = ", ".join("?" for _ in batch)
                    if "session_id" in schema.message_columns:
                        connection.execute(
                            f"DELETE FROM messages WHERE session_id IN ({placeholders})", batch
                        )
                    connection.execute(f"DELETE FROM sessions WHERE id IN ({placeholders})", batch)
                connection.execute("COMMIT")
                return True
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
    except AgentDatabaseMissing:
        return False
    except (sqlite3.Error, OSError) as error:
        logger.warning("deleting agent session %s from %s failed and was rolled back: %s",
                       session_id, db_path, error)
        return False
