"""Reading sessions, messages and parts from ``opencode.db``, whatever its schema version.

The columns a query names are only those the database has (``PRAGMA table_info``): an older
OpenCode lacks ``time_archived``, ``cost`` or ``parent_id``, and a missing column reads as
NULL. Every value is checked for its SQLite type in the query, and text is cut there, so a
10 MB title or a number where text belongs never reaches Python whole. A ``data`` value
larger than the cap is never decoded: its type and the start of its text are extracted by
SQLite instead.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any, Iterable, Iterator, Mapping

import orjson

from .records import (
    MessageRecord,
    SessionRecord,
    as_millis,
    as_number,
    as_text,
    message_from_info,
)

__all__ = [
    "UnsupportedSchema", "message_versions", "read_messages", "read_parts", "read_sessions",
    "session_columns",
]

_CHUNK = 400  # ids per IN (...) list: well under SQLite's variable limit


class UnsupportedSchema(sqlite3.DatabaseError):
    """The database has no ``session`` table with an ``id`` (not OpenCode's, or far older)."""


def session_columns(connection: sqlite3.Connection) -> frozenset[str]:
    """The columns of ``session``; raises :class:`UnsupportedSchema` without one."""
    columns = frozenset(row[1] for row in connection.execute("PRAGMA table_info(session)"))
    if "id" not in columns:
        raise UnsupportedSchema("no session table with an id column: not an OpenCode database")
    return columns


def _column(columns: frozenset[str], name: str, kind: str, cut: int | None = None) -> str:
    """A select expression for ``name``: its value when of SQLite type ``kind``, else NULL."""
    if name not in columns:
        return "NULL"
    value = f"substr({name}, 1, {cut})" if cut is not None else name
    if kind == "number":
        return f"CASE WHEN typeof({name}) IN ('integer', 'real') THEN {name} END"
    return f"CASE WHEN typeof({name}) = 'text' THEN {value} END"


def _session_select(columns: frozenset[str], title_chars: int) -> str:
    return ", ".join((
        "id",
        _column(columns, "parent_id", "text", 200),
        _column(columns, "title", "text", title_chars),
        _column(columns, "directory", "text", 4096),
        _column(columns, "project_id", "text", 200),
        _column(columns, "version", "text", 64),
        _column(columns, "time_created", "number"),
        _column(columns, "time_updated", "number"),
        _column(columns, "time_archived", "number"),
        _column(columns, "revert", "text", 65536),
        _column(columns, "cost", "number"),
    ))


def _revert_message(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return as_text(value.get("messageID"), 200) if isinstance(value, dict) else None


def _session_record(row: tuple[Any, ...], path: str) -> SessionRecord | None:
    (native, parent, title, directory, project, version, created, updated, archived, revert,
     cost) = row
    if not isinstance(native, str) or not native:
        return None
    return SessionRecord(
        native_id=native,
        parent_id=parent or None,
        title=title,
        directory=directory or None,
        project_id=project,
        version=version,
        created_at=as_millis(created),
        updated_at=as_millis(updated),
        archived_at=as_millis(archived),
        revert_message_id=_revert_message(revert),
        recorded_cost=as_number(cost),
        storage="db",
        path=path,
    )


def read_sessions(
    connection: sqlite3.Connection, path: str, *, limit: int, title_chars: int,
    native_id: str | None = None,
) -> list[SessionRecord]:
    """The ``limit`` most recently updated top-level sessions and every child of them (or,
    with ``native_id``, that one session and its children)."""
    columns = session_columns(connection)
    select = _session_select(columns, title_chars)
    has_parent = "parent_id" in columns
    order = "time_updated" if "time_updated" in columns else "rowid"
    if native_id is not None:
        rows = connection.execute(f"SELECT {select} FROM session WHERE id = ?", (native_id,))
    elif has_parent:
        rows = connection.execute(
            f"SELECT {select} FROM session WHERE parent_id IS NULL OR parent_id = '' "
            f"ORDER BY {order} DESC LIMIT ?", (limit,))
    else:
        rows = connection.execute(
            f"SELECT {select} FROM session ORDER BY {order} DESC LIMIT ?", (limit,))
    records = [record for row in rows if (record := _session_record(row, path)) is not None]
    if has_parent and records:
        parents = [record.native_id for record in records if record.parent_id is None]
        for chunk in _chunks(parents):
            marks = ",".join("?" * len(chunk))
            for row in connection.execute(
                f"SELECT {select} FROM session WHERE parent_id IN ({marks})", chunk
            ):
                record = _session_record(row, path)
                if record is not None:
                    records.append(record)
    return _with_worktrees(connection, records)


def _with_worktrees(
    connection: sqlite3.Connection, records: list[SessionRecord]
) -> list[SessionRecord]:
    """Sessions without a ``directory`` get their project's ``worktree`` (older rows)."""
    if all(record.directory for record in records):
        return records
    try:
        worktrees = {
            project: worktree for project, worktree in connection.execute(
                "SELECT id, CASE WHEN typeof(worktree) = 'text' THEN substr(worktree, 1, 4096)"
                " END FROM project")
            if isinstance(worktree, str) and worktree and worktree != "/"
        }
    except sqlite3.OperationalError:  # no project table: nothing to fill in from
        return records
    return [
        replace(record, directory=worktrees.get(record.project_id or ""))
        if not record.directory else record
        for record in records
    ]


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _decoded(raw: Any) -> Mapping[str, Any] | None:
    if not isinstance(raw, (str, bytes)):
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:  # malformed, or nested past orjson's limit
        return None
    return value if isinstance(value, dict) else None


def message_versions(
    connection: sqlite3.Connection, session_ids: Iterable[str]
) -> dict[str, tuple[int, Any]]:
    """Each session's message count and latest ``time_updated``: what changes when a message
    is added or rewritten (tokens and cost are written when a step finishes)."""
    found: dict[str, tuple[int, Any]] = {}
    for chunk in _chunks(list(session_ids)):
        marks = ",".join("?" * len(chunk))
        for session_id, count, latest in connection.execute(
            "SELECT session_id, count(*), max(time_updated) FROM message"
            f" WHERE session_id IN ({marks}) GROUP BY session_id", chunk,
        ):
            found[session_id] = (count, latest)
    return found


def read_messages(
    connection: sqlite3.Connection, session_ids: Iterable[str], *, max_bytes: int
) -> dict[str, list[MessageRecord]]:
    """Each session's messages (info only), in OpenCode's order: time created, then id."""
    found: dict[str, list[MessageRecord]] = {}
    for chunk in _chunks(list(session_ids)):
        marks = ",".join("?" * len(chunk))
        rows = connection.execute(
            "SELECT session_id, id, time_created,"
            " CASE WHEN length(data) <= ? THEN data END,"
            " CASE WHEN length(data) > ? AND json_valid(data)"
            "  THEN substr(json_extract(data, '$.role'), 1, 32) END"
            f" FROM message WHERE session_id IN ({marks}) ORDER BY session_id, time_created, id",
            (max_bytes, max_bytes, *chunk),
        )
        for session_id, message_id, created, data, role in rows:
            if not isinstance(message_id, str):
                continue
            info = _decoded(data)
            if info is None:
                info = {"role": role} if isinstance(role, str) else {}
            found.setdefault(session_id, []).append(
                message_from_info(message_id, info, created_fallback=created)
            )
    return found


def read_parts(
    connection: sqlite3.Connection, message_ids: Iterable[str], *, max_bytes: int,
    max_chars: int,
) -> dict[str, list[Mapping[str, Any]]]:
    """Each message's parts in ``id`` order; a part over ``max_bytes`` keeps only its type,
    tool names and the first ``max_chars`` of its text and output."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    light = (
        "json_object('type', json_extract(data, '$.type'),"
        f" 'text', substr(json_extract(data, '$.text'), 1, {int(max_chars)}),"
        " 'synthetic', json_extract(data, '$.synthetic'),"
        " 'tool', json_extract(data, '$.tool'), 'callID', json_extract(data, '$.callID'),"
        " 'state', json_object('status', json_extract(data, '$.state.status'),"
        f"  'output', substr(json_extract(data, '$.state.output'), 1, {int(max_chars)}),"
        f"  'error', substr(json_extract(data, '$.state.error'), 1, {int(max_chars)})),"
        " 'truncated', json('true'))"
    )
    for chunk in _chunks(list(message_ids)):
        marks = ",".join("?" * len(chunk))
        rows = connection.execute(
            "SELECT message_id, id, CASE WHEN length(data) <= ? THEN data END,"
            f" CASE WHEN length(data) > ? AND json_valid(data) THEN {light} END"
            f" FROM part WHERE message_id IN ({marks}) ORDER BY message_id, id",
            (max_bytes, max_bytes, *chunk),
        )
        for message_id, part_id, data, cut in rows:
            part = _decoded(data) or _decoded(cut)
            if part is None or not isinstance(part_id, str):
                continue
            found.setdefault(message_id, []).append({**part, "id": part_id})
    return found
