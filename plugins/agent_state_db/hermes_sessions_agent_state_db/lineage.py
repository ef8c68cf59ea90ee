"""Lineage for sidebar collapse and the read-only lineage report (S3.19, S3.20).

Both read only the ids asked for and their ancestors (by primary key, IN-lists of at most 500,
at most 20 hops, #1370), and both use the shared walk, so they agree with the listing.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hermes_sessions_core.times import to_epoch

from .connection import DEFAULT_LOCK_WAIT, AgentDatabaseMissing, LockWait, read_only
from .graph import LineageGraph
from .message_stats import message_stats
from .rows import parent_fields
from .schema import probe
from .sources import DEFAULT_MESSAGING_SOURCES, source_fields
from .titles import clean_title

__all__ = ["lineage_metadata", "lineage_report"]

logger = logging.getLogger(__name__)


def lineage_metadata(
    db_path: Path,
    session_ids: Iterable[str],
    *,
    messaging_sources: frozenset[str] = DEFAULT_MESSAGING_SOURCES,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
) -> dict[str, dict[str, Any]]:
    """Lineage keys for the ids this store knows (S3.19); ``{}`` when it cannot tell.

    A continuation gets ``parent_session_id``, ``_lineage_root_id`` and
    ``_compression_segment_count``; a child of a known parent it does not continue gets the
    ``child_session`` keys; heads and rows with unknown parents get nothing.
    """
    wanted = [str(i) for i in dict.fromkeys(session_ids) if i]
    if not wanted:
        return {}
    try:
        with read_only(Path(db_path), busy_timeout) as connection:
            schema = probe(connection)
            if not schema.has_lineage:
                return {}
            graph = LineageGraph(connection, schema)
            graph.load(wanted)
            graph.load_ancestors(wanted)
    except AgentDatabaseMissing:
        return {}  # a machine without the agent is normal: Web UI rows have no lineage
    except (sqlite3.Error, OSError) as error:
        logger.warning("agent lineage from %s unavailable: %s", db_path, error)
        return {}
    result: dict[str, dict[str, Any]] = {}
    for session_id in wanted:
        if graph.get(session_id) is None:
            continue
        walk = graph.walk(session_id)
        if walk.parent is not None:
            result[session_id] = {
                "parent_session_id": walk.parent,
                "_lineage_root_id": walk.head,
                "_compression_segment_count": len(walk.segments),
            }
            continue
        fields = parent_fields(graph, session_id, messaging_sources)
        if fields:
            result[session_id] = fields
    return result


def _entry(record: dict[str, Any], role: str) -> dict[str, Any]:
    started = to_epoch(record.get("started_at"))
    ended = to_epoch(record.get("ended_at"))
    return {
        "session_id": record["id"],
        "role": role,
        "title": clean_title(record.get("title")),
        "source": source_fields(record.get("source")).raw_source,
        "started_at": started,
        "updated_at": ended if ended is not None else started,
        "end_reason": record.get("end_reason"),
        "active": record.get("ended_at") is None,
        "archived": False,
    }


def _not_found(session_id: str) -> dict[str, Any]:
    return {
        "mutation": False, "found": False, "session_id": session_id, "lineage_key": None,
        "tip_session_id": None, "total_segments": 0, "materialized_segments": 0,
        "segments": [], "children": [], "manual_review": False,
    }


def lineage_report(
    db_path: Path, session_id: str, *, busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT
) -> dict[str, Any]:
    """A read-only account of the chain ending at ``session_id`` (S3.20).

    ``segments`` lists the id (role ``tip``) and the ancestors it continues (``hidden_segment``);
    ``children`` the other children of those segments (``child_session``). ``manual_review`` is
    set on a hop cap, a cycle or an off-path continuation; nothing is proposed for deletion.
    """
    try:
        with read_only(Path(db_path), busy_timeout) as connection:
            schema = probe(connection)
            if not schema.has_lineage:
                return _not_found(session_id)
            graph = LineageGraph(connection, schema)
            graph.load([session_id])
            if graph.get(session_id) is None:
                return _not_found(session_id)
            graph.load_ancestors([session_id])
            walk = graph.walk(session_id)
            graph.load_children(walk.segments)
            stats = message_stats(connection, schema, walk.segments)
    except (AgentDatabaseMissing, sqlite3.Error, OSError) as error:
        logger.warning("agent lineage report for %s from %s unavailable: %s",
                       session_id, db_path, error)
        return _not_found(session_id)
    segments = [
        _entry(graph.records[segment], "tip" if index == 0 else "hidden_segment")
        for index, segment in enumerate(walk.segments)
    ]
    in_chain = set(walk.segments)
    children: list[dict[str, Any]] = []
    off_path = False
    for segment in walk.segments:
        continuing = graph.continuation_children(segment)
        if len(continuing) > 1:
            off_path = True
        for child in graph.children(segment):
            if child in in_chain:
                continue
            if child in continuing and segment != walk.tip:
                off_path = True
            children.append(_entry(graph.records[child], "child_session"))
    return {
        "mutation": False,
        "found": True,
        "session_id": session_id,
        "lineage_key": walk.head,
        "tip_session_id": session_id,
        "total_segments": len(walk.segments),
        "materialized_segments": sum(1 for s in walk.segments if s in stats),
        "segments": segments,
        "children": children,
        "manual_review": walk.needs_review or off_path,
    }
