"""Which columns this ``state.db`` has, probed on every open and read by name (S3.3).

Stores range from schema v1 (no ``title``) to v30 (activity, archival and display columns);
every query is built from the probed columns so a missing one becomes ``NULL``, never an error.
Free-text columns are read capped (:mod:`.field_caps`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .field_caps import ID_MAX_CHARS, SESSION_READ_CHARS

__all__ = ["SESSION_FIELDS", "Schema", "probe"]

#: Session columns the plugin reads when they exist; missing ones read as NULL.
SESSION_FIELDS: tuple[str, ...] = (
    "id", "source", "parent_session_id", "started_at", "ended_at", "end_reason",
    "model_config", "title", "model", "message_count", "input_tokens", "output_tokens",
    "estimated_cost_usd", "cwd", "user_id", "session_key", "chat_id", "chat_type", "thread_id",
    "origin_json", "last_activity_at", "created_source", "session_source",
    "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "actual_cost_usd",
)


def _columns(connection: sqlite3.Connection, table: str) -> frozenset[str]:
    return frozenset(str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})"))


@dataclass(frozen=True)
class Schema:
    """The probed columns of ``sessions`` and ``messages``."""

    session_columns: frozenset[str]
    message_columns: frozenset[str]

    @property
    def listable(self) -> bool:
        """``sessions.id``, ``sessions.source`` and ``messages.session_id`` are required."""
        return {"id", "source"} <= self.session_columns and "session_id" in self.message_columns

    @property
    def has_sessions(self) -> bool:
        return "id" in self.session_columns

    @property
    def has_lineage(self) -> bool:
        """Continuations need the parent link and the parent's end reason (S3.19)."""
        return {"id", "parent_session_id", "end_reason"} <= self.session_columns

    @property
    def has_transcripts(self) -> bool:
        """Without role, content or timestamp a transcript is ``[]`` (S3.3)."""
        return {"session_id", "role", "content", "timestamp"} <= self.message_columns

    @property
    def message_id(self) -> str:
        """``messages.id`` when present, else the implicit ``rowid``."""
        return "id" if "id" in self.message_columns else "rowid"

    def session_select(self, alias: str = "") -> str:
        """The :data:`SESSION_FIELDS` as a select list, NULL for missing columns; free-text
        columns come through ``substr()``, so a huge cell never leaves SQLite whole."""
        prefix = f"{alias}." if alias else ""
        parts = []
        for name in SESSION_FIELDS:
            if name not in self.session_columns:
                parts.append(f"NULL AS {name}")
            elif name in SESSION_READ_CHARS:
                parts.append(f"substr({prefix}{name}, 1, {SESSION_READ_CHARS[name]}) AS {name}")
            else:
                parts.append(f"{prefix}{name} AS {name}")
        return ", ".join(parts)

    def valid_id(self, alias: str = "") -> str:
        """SQL condition for rows whose id can be a session id (at most 200 characters, S1.2)."""
        prefix = f"{alias}." if alias else ""
        return f"length({prefix}id) <= {ID_MAX_CHARS}"

    def live_messages(self, alias: str = "") -> str:
        """SQL condition for messages that count: not undone or archived, not hidden (S3.8)."""
        prefix = f"{alias}." if alias else ""
        conditions = ["1"]
        if "active" in self.message_columns:
            conditions.append(f"({prefix}active IS NULL OR {prefix}active <> 0)")
        if "display_kind" in self.message_columns:
            conditions.append(
                f"({prefix}display_kind IS NULL OR {prefix}display_kind <> 'hidden')"
            )
        return " AND ".join(conditions)

    def transcript_messages(self, include_compacted: bool, alias: str = "") -> str:
        """Live messages, plus archived compacted rows when asked (undone rows never, S3.17)."""
        if not include_compacted or not {"active", "compacted"} <= self.message_columns:
            return self.live_messages(alias)
        prefix = f"{alias}." if alias else ""
        hidden = ""
        if "display_kind" in self.message_columns:
            hidden = f" AND ({prefix}display_kind IS NULL OR {prefix}display_kind <> 'hidden')"
        return (
            f"(({prefix}active IS NULL OR {prefix}active <> 0)"
            f" OR ({prefix}active = 0 AND {prefix}compacted = 1)){hidden}"
        )

    @property
    def activity_expression(self) -> str:
        """Recent activity for the candidate window; matches the agent's index text (S3.7)."""
        if {"last_activity_at", "started_at"} <= self.session_columns:
            return "COALESCE(last_activity_at, started_at)"
        if "started_at" in self.session_columns:
            return "started_at"
        return "rowid"


def probe(connection: sqlite3.Connection) -> Schema:
    """Read the column sets now: the agent migrates its schema while the Web UI runs."""
    return Schema(_columns(connection, "sessions"), _columns(connection, "messages"))
