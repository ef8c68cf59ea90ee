"""Agent transcripts: live messages with tool metadata, stitched across continuations
(S3.17, S3.18).

The original opened every session that has a parent row as an empty transcript because its
continuation check was never imported (S8.1). Here the segments come from the shared walk, and
any failure while stitching falls back to the session's own messages.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hermes_sessions_core.times import to_epoch

from .connection import DEFAULT_LOCK_WAIT, AgentDatabaseMissing, LockWait, read_only
from .graph import LineageGraph, chunked
from .schema import Schema, probe

__all__ = [
    "MULTIMODAL_PREFIX",
    "OPTIONAL_MESSAGE_COLUMNS",
    "SUMMARY_PREFIXES",
    "agent_messages",
    "chain_segments",
    "decode_message",
    "message_rows",
    "stitched_messages",
]

logger = logging.getLogger(__name__)

OPTIONAL_MESSAGE_COLUMNS = (
    "tool_call_id", "tool_calls", "tool_name", "reasoning", "reasoning_details",
    "reasoning_content", "codex_reasoning_items", "codex_message_items",
)
_JSON_COLUMNS = frozenset(
    {"tool_calls", "reasoning_details", "codex_reasoning_items", "codex_message_items"}
)
SUMMARY_PREFIXES = ("[CONTEXT COMPACTION — REFERENCE ONLY]", "[CONTEXT SUMMARY]:")
#: The agent stores list-valued (multimodal) content as this prefix plus JSON text.
MULTIMODAL_PREFIX = "\x00json:"
_CLAUDE_CODE_PREFIX = "claude_code_"


def _decoded_json(value: Any) -> Any:
    """JSON text decoded; text that is not JSON passes through unchanged (#1772)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # nested deeper than Python recurses: kept as text
        return value


def _image_placeholder(part: dict[str, Any]) -> dict[str, Any]:
    """``[image: <media type>]`` in place of image data (S4.13): no base64 in messages."""
    media_type = None
    source = part.get("source")
    if isinstance(source, dict):
        media_type = source.get("media_type")
    url = part.get("image_url")
    if isinstance(url, dict):
        url = url.get("url")
    if media_type is None and isinstance(url, str) and url.startswith("data:"):
        media_type = url[5:].split(";", 1)[0].split(",", 1)[0] or None
    return {"type": "text", "text": f"[image: {media_type or 'image'}]"}


def _content(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(MULTIMODAL_PREFIX):
        parts = _decoded_json(value[len(MULTIMODAL_PREFIX):])
        if isinstance(parts, list):
            return [
                _image_placeholder(part)
                if isinstance(part, dict)
                and part.get("type") in ("image_url", "image", "input_image")
                else part
                for part in parts
            ]
    return value


def decode_message(row: dict[str, Any]) -> dict[str, Any]:
    """One message dict from a ``messages`` row (S3.17)."""
    content = _content(row.get("content"))
    message: dict[str, Any] = {
        "role": row.get("role"),
        "content": content,
        "timestamp": to_epoch(row.get("timestamp")),
    }
    for column in OPTIONAL_MESSAGE_COLUMNS:
        value = row.get(column)
        if value is None or value == "":
            continue
        message[column] = _decoded_json(value) if column in _JSON_COLUMNS else value
    if message.get("role") == "tool" and message.get("tool_name") and not message.get("name"):
        message["name"] = message["tool_name"]
    summary = row.get("_compressed_summary")
    if (summary not in (None, 0, "0", "")) or (
        isinstance(content, str) and content.lstrip().startswith(SUMMARY_PREFIXES)
    ):
        message["kind"] = "compaction"
    return message


def _order_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Timestamp, then row id; unusable times sort last, ids of any type compare safely."""
    stamp = to_epoch(row.get("timestamp"))
    row_id = row.get("_row_id")
    numeric = isinstance(row_id, (int, float)) and not isinstance(row_id, bool)
    return (stamp is None, stamp or 0.0, not numeric, row_id if numeric else 0, str(row_id))


def message_rows(
    connection: sqlite3.Connection,
    schema: Schema,
    session_ids: Iterable[str],
    columns: Iterable[str],
    include_compacted: bool = False,
) -> list[dict[str, Any]]:
    """Transcript rows of ``session_ids`` in chronological order (timestamp, then row id)."""
    wanted = [c for c in columns if c in schema.message_columns]
    select = ", ".join([f"{schema.message_id} AS _row_id", *wanted])
    rows: list[dict[str, Any]] = []
    for batch in chunked(dict.fromkeys(session_ids)):
        placeholders = ", ".join("?" for _ in batch)
        cursor = connection.execute(
            f"SELECT {select} FROM messages WHERE session_id IN ({placeholders}) "
            f"AND {schema.transcript_messages(include_compacted)}",
            batch,
        )
        names = [column[0] for column in cursor.description]
        rows.extend(dict(zip(names, values)) for values in cursor)
    rows.sort(key=_order_key)
    return rows


def chain_segments(
    connection: sqlite3.Connection, schema: Schema, session_id: str,
    graph: LineageGraph | None = None,
) -> list[str]:
    """The session and the ancestors it continues, oldest first (at most 20 hops)."""
    if not schema.has_lineage:
        return [session_id]
    if graph is None:
        graph = LineageGraph(connection, schema)
        graph.load([session_id])
        graph.load_ancestors([session_id])
    if graph.get(session_id) is None:
        return [session_id]
    return list(reversed(graph.walk(session_id).segments))


def stitched_messages(
    connection: sqlite3.Connection,
    schema: Schema,
    session_id: str,
    include_compacted: bool = False,
    graph: LineageGraph | None = None,
) -> list[dict[str, Any]]:
    """Decoded messages of the whole chain; a stitching failure gives the session's own."""
    if not schema.has_transcripts:
        return []
    columns = ["role", "content", "timestamp", "_compressed_summary", *OPTIONAL_MESSAGE_COLUMNS]
    try:
        segments = chain_segments(connection, schema, session_id, graph)
        rows = message_rows(connection, schema, segments, columns, include_compacted)
    except (sqlite3.Error, ValueError, TypeError) as error:
        logger.warning("stitching agent session %s failed, showing its own messages: %s",
                       session_id, error)
        rows = message_rows(connection, schema, [session_id], columns, include_compacted)
    return [decode_message(row) for row in rows]


def agent_messages(
    db_path: Path,
    session_id: str,
    *,
    include_compacted: bool = False,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
) -> list[dict[str, Any]]:
    """Messages of ``session_id`` stitched over its continuation chain (S3.17, S3.18).

    ``include_compacted`` adds rows archived by in-place compaction; undone rows never appear.
    A missing database or any error gives ``[]`` and a warning; ``claude_code_`` ids are never
    looked up here.
    """
    if not session_id or session_id.startswith(_CLAUDE_CODE_PREFIX):
        return []
    try:
        with read_only(Path(db_path), busy_timeout) as connection:
            schema = probe(connection)
            return stitched_messages(connection, schema, session_id, include_compacted)
    except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
        logger.warning("agent transcript %s from %s unavailable: %s", session_id, db_path, error)
        return []
