"""One sidebar row from a chain of agent sessions (S3.9-S3.16).

The tip supplies the id, model, counts, end and last activity; the head supplies the title and
the start. Rows carry every S1.12 key so the aggregator can merge them with Web UI rows, and
every text field within the caps of :mod:`.field_caps`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hermes_sessions_core.times import to_epoch
from hermes_sessions_core.usage import USAGE_KEY

from .continuation import Walk
from .cron_jobs import cron_job_id
from .field_caps import (
    JSON_MAX_CHARS,
    LABEL_MAX_CHARS,
    TEXT_MAX_CHARS,
    capped,
    capped_path,
)
from .graph import LineageGraph
from .message_stats import MessageStats
from .sources import DEFAULT_MESSAGING_SOURCES, SourceFields, source_fields
from .titles import clean_title, fallback_title
from .usage import chain_usage

__all__ = ["RowContext", "build_row", "is_cron", "last_activity", "parent_fields", "row_title"]

_IDENTITY_COLUMNS = ("user_id", "session_key", "chat_id", "chat_type", "thread_id")
_IDENTITY_CAPS = {
    "user_id": TEXT_MAX_CHARS, "session_key": TEXT_MAX_CHARS, "chat_id": TEXT_MAX_CHARS,
    "chat_type": LABEL_MAX_CHARS, "thread_id": TEXT_MAX_CHARS,
}


@dataclass(frozen=True)
class RowContext:
    """What rows need beyond the database: the profile, cron names, the Cron Jobs project."""

    profile: str | None = None
    messaging: frozenset[str] = DEFAULT_MESSAGING_SOURCES
    cron_names: Mapping[str, str] = field(default_factory=dict)
    cron_project_id: str | None = None


def _as_int(value: object) -> int:
    """A count cell as an int; text where a number belongs counts as 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 2**63:
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value.strip()))
        except (ValueError, OverflowError):
            return 0
    return 0


def _label(value: object) -> object:
    """A short text cell as it was stored (numbers stay numbers), text capped."""
    return capped(value, LABEL_MAX_CHARS) if isinstance(value, (str, bytes)) else value


def _as_number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def last_activity(record: Mapping[str, Any], stats: MessageStats | None) -> float | None:
    """Newest live message, else ``last_activity_at``, else ``started_at`` (S3.8)."""
    return (
        (stats.last_at if stats is not None else None)
        or to_epoch(record.get("last_activity_at"))
        or to_epoch(record.get("started_at"))
    )


def is_cron(session_id: str, source: SourceFields) -> bool:
    """``source`` cron or a ``cron_`` id (S5.5)."""
    return source.raw_source == "cron" or session_id.startswith("cron_")


def row_title(
    graph: LineageGraph, walk: Walk, source: SourceFields, context: RowContext
) -> str:
    """Head title, else tip title, else the cron job name, else ``<Source> Session`` (S3.15)."""
    head = graph.get(walk.head) or {}
    tip = graph.get(walk.tip) or {}
    title = clean_title(head.get("title")) or clean_title(tip.get("title"))
    if title:
        return title
    if source.raw_source == "cron":  # a cli row whose id happens to start cron_ is no job's
        for candidate in (walk.tip, walk.head):
            job_id = cron_job_id(candidate)
            if job_id and context.cron_names.get(job_id):
                return context.cron_names[job_id]
    return fallback_title(source.source_tag)


def _origin(record: Mapping[str, Any]) -> dict[str, Any]:
    """``origin_json`` as an object; overlong, deeply nested or malformed text counts as none."""
    raw = record.get("origin_json")
    if not isinstance(raw, str) or not raw.strip() or len(raw) > JSON_MAX_CHARS:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _identity(record: Mapping[str, Any], source: SourceFields) -> dict[str, Any]:
    """Messaging identity from the columns, else ``origin_json`` (S3.16, #1079)."""
    origin = _origin(record)
    identity: dict[str, Any] = {}
    for name in _IDENTITY_COLUMNS:
        value = record.get(name)
        if value in (None, ""):
            value = origin.get(name)
        if name == "chat_id" and value in (None, ""):
            value = origin.get("origin_chat_id") or record.get("origin_chat_id")
        if value not in (None, ""):
            identity[name] = capped(value, _IDENTITY_CAPS[name])
    platform = origin.get("platform") or (source.raw_source if source.is_messaging else None)
    if platform:
        identity["platform"] = capped(platform, LABEL_MAX_CHARS)
    return identity


def parent_fields(
    graph: LineageGraph, session_id: str, messaging: frozenset[str] = DEFAULT_MESSAGING_SOURCES
) -> dict[str, Any]:
    """Keys for a child of a known parent it does not continue (S3.11); ``{}`` otherwise.

    Cycle members expose nothing, so the sidebar never draws a parent loop (S3.10).
    """
    record = graph.get(session_id)
    parent = graph.known_parent(session_id)
    if record is None or parent is None:
        return {}
    walk = graph.walk(session_id)
    if walk.parent is not None or walk.stopped == "cycle":
        return {}
    if graph.rule_allows(session_id):
        return {}  # a continuation cut off by the hop cap, not a child
    parent_id = str(parent["id"])
    parent_source = source_fields(parent.get("source"), messaging)
    child_source = source_fields(record.get("source"), messaging)
    fields: dict[str, Any] = {
        "parent_session_id": parent_id,
        "relationship_type": "child_session",
        "parent_title": clean_title(parent.get("title")),
        "parent_source": parent_source.raw_source,
        "_parent_lineage_root_id": graph.walk(parent_id).head,
    }
    if (
        parent_source.raw_source
        and child_source.raw_source
        and parent_source.raw_source != child_source.raw_source
    ):
        fields["_cross_surface_child_session"] = True
    return fields


def build_row(
    graph: LineageGraph,
    walk: Walk,
    stats: Mapping[str, MessageStats],
    context: RowContext,
) -> dict[str, Any]:
    """The row for the chain ``walk`` (tip first); a single session is a one-segment chain."""
    tip = graph.get(walk.tip) or {"id": walk.tip}
    head = graph.get(walk.head) or tip
    source = source_fields(tip.get("source"), context.messaging)
    tip_stats = stats.get(walk.tip, MessageStats())
    stored = _as_int(tip.get("message_count"))
    started = to_epoch(head.get("started_at")) or to_epoch(tip.get("started_at"))
    # Times are floats on every row (S0.1): with no usable time at all, the epoch, so such a
    # row sorts last and stays there instead of jumping to the top on every listing.
    last_active = last_activity(tip, tip_stats) or started or 0.0
    if started is None:
        started = last_active
    cron = is_cron(walk.tip, source)
    row: dict[str, Any] = {
        "session_id": walk.tip,
        "title": row_title(graph, walk, source, context),
        "workspace": capped_path(tip.get("cwd")),
        "model": capped(tip["model"], TEXT_MAX_CHARS) if tip.get("model") else None,
        "model_provider": None,
        "message_count": stored if stored > 0 else tip_stats.count,
        "actual_message_count": tip_stats.count,
        "created_at": started,
        "updated_at": last_active,
        "last_message_at": last_active,
        "pinned": False,
        "archived": False,
        "project_id": context.cron_project_id if cron else None,
        "profile": context.profile,
        "input_tokens": _as_int(tip.get("input_tokens")),
        "output_tokens": _as_int(tip.get("output_tokens")),
        "estimated_cost": _as_number(tip.get("estimated_cost_usd")),
        "personality": None,
        "compression_anchor_visible_idx": None,
        "compression_anchor_message_key": None,
        "compression_anchor_summary": None,
        "context_length": None,
        "threshold_tokens": None,
        "last_prompt_tokens": None,
        "gateway_routing": None,
        "gateway_routing_history": [],
        "user_message_count": tip_stats.user_count,
        "active_stream_id": None,
        "pending_user_message": None,
        "has_pending_user_message": False,
        "is_cli_session": True,
        "source_tag": source.source_tag,
        "raw_source": source.raw_source,
        "session_source": source.session_source,
        "source_label": source.source_label,
        "read_only": False,
        "enabled_toolsets": None,
        "composer_draft": {},
        "is_streaming": False,
        "ended_at": to_epoch(tip.get("ended_at")),
        "end_reason": _label(tip.get("end_reason")),
    }
    row.update(_identity(tip, source))
    row[USAGE_KEY] = chain_usage(graph, walk, stats, last_activity)
    if len(walk.segments) > 1:
        row["parent_session_id"] = walk.parent
        row["_lineage_root_id"] = walk.head
        row["_lineage_tip_id"] = walk.tip
        row["_compression_segment_count"] = len(walk.segments)
        row["_lineage_segment_ids"] = list(walk.segments)
    row.update(parent_fields(graph, walk.head, context.messaging))
    return row
