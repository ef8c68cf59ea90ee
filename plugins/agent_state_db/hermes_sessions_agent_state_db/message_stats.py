"""Live-message counts and last activity for a known set of session ids only (S3.7, S3.8).

The original aggregated the whole ``messages`` table on every poll (#2628, S8.10); here each
query names its ids, so the agent's ``messages(session_id, …)`` index bounds the work.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from hermes_sessions_core.times import MAX_EPOCH, MIN_EPOCH, to_epoch

from .graph import chunked
from .schema import Schema

__all__ = ["MessageStats", "message_stats"]


@dataclass(frozen=True)
class MessageStats:
    """Counts of live messages for one session, and the newest usable message time."""

    count: int = 0
    user_count: int = 0
    last_at: float | None = None


def message_stats(
    connection: sqlite3.Connection, schema: Schema, session_ids: Iterable[str]
) -> dict[str, MessageStats]:
    """Stats for ``session_ids``; ids without live messages are absent."""
    columns = schema.message_columns
    if "role" in columns:
        user_expr = "SUM(CASE WHEN lower(trim(role)) = 'user' THEN 1 ELSE 0 END)"
    else:
        user_expr = "COUNT(*)"  # without roles every row counts as a user turn (S3.3)
    if "timestamp" in columns:
        # Numbers and text are kept apart so a string is never compared with a number (S0.1).
        number_expr = (
            "MAX(CASE WHEN typeof(timestamp) IN ('integer', 'real') "
            f"AND timestamp BETWEEN {MIN_EPOCH!r} AND {MAX_EPOCH!r} THEN timestamp END)"
        )
        text_expr = "MAX(CASE WHEN typeof(timestamp) = 'text' THEN timestamp END)"
    else:
        number_expr = text_expr = "NULL"
    result: dict[str, MessageStats] = {}
    for batch in chunked(dict.fromkeys(session_ids)):
        placeholders = ", ".join("?" for _ in batch)
        cursor = connection.execute(
            f"SELECT session_id, COUNT(*), {user_expr}, {number_expr}, {text_expr} "
            f"FROM messages WHERE session_id IN ({placeholders}) AND {schema.live_messages()} "
            "GROUP BY session_id",
            batch,
        )
        for session_id, count, users, number_last, text_last in cursor:
            times = [t for t in (to_epoch(number_last), to_epoch(text_last)) if t is not None]
            result[str(session_id)] = MessageStats(
                count=int(count or 0), user_count=int(users or 0), last_at=max(times, default=None)
            )
    return result
