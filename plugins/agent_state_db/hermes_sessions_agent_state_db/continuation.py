"""The one rule for "this row continues that one" (S3.4) and the capped walk up a chain
(S3.5, S3.6).

Listing, transcripts, lineage metadata, the report, rounds and delete all call
:func:`is_continuation` and :func:`walk_up`, so the sidebar row, the opened transcript and the
report always agree on the head and the segment count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hermes_sessions_core.times import to_epoch

from .field_caps import JSON_MAX_CHARS

__all__ = [
    "BRANCH_MARKERS",
    "CONTINUING_END_REASONS",
    "MAX_HOPS",
    "Walk",
    "is_continuation",
    "walk_up",
]

#: Every walk stops after this many parent hops (S3.6).
MAX_HOPS = 20
#: A parent that ended for one of these reasons may be continued by a child row.
CONTINUING_END_REASONS = frozenset({"compression", "cli_close"})
#: ``model_config`` keys that name the parent a child was branched, delegated or reset from.
BRANCH_MARKERS = ("_branched_from", "_delegate_from", "_reset_from")

Record = Mapping[str, Any]


def _text(value: object) -> str:
    return str(value).strip().lower() if value is not None else ""


def _branch_parents(model_config: object) -> set[str]:
    if isinstance(model_config, (bytes, str)):
        if len(model_config) > JSON_MAX_CHARS:
            return set()  # not read whole (issue 13): no markers
        try:
            model_config = json.loads(model_config)
        except (ValueError, RecursionError):
            return set()
    if not isinstance(model_config, Mapping):
        return set()
    return {str(model_config[key]) for key in BRANCH_MARKERS if model_config.get(key)}


def _is_fork(child: Record) -> bool:
    return any(
        _text(child.get(name)) == "fork" for name in ("session_source", "created_source", "source")
    )


def is_continuation(parent: Record | None, child: Record | None) -> bool:
    """True when ``child`` continues ``parent`` (S3.4).

    Both rows exist, the child is no fork, the sources match (ignoring case) or one is empty,
    the parent ended for ``compression`` or ``cli_close``, and the parent ended no later than the
    child started (an unknown end time counts as yes, an unreadable one as no). A child whose
    ``model_config`` names the parent as branch, delegate or reset origin never continues it:
    racy agent continuations stay split, as in the original Web UI.
    """
    if parent is None or child is None:
        return False
    parent_id = parent.get("id")
    if parent_id is None or str(child.get("parent_session_id") or "") != str(parent_id):
        return False
    if _is_fork(child):
        return False
    parent_source, child_source = _text(parent.get("source")), _text(child.get("source"))
    if parent_source and child_source and parent_source != child_source:
        return False
    if parent.get("end_reason") not in CONTINUING_END_REASONS:
        return False
    if str(parent_id) in _branch_parents(child.get("model_config")):
        return False
    ended = parent.get("ended_at")
    if ended is None:
        return True
    ended_at, started_at = to_epoch(ended), to_epoch(child.get("started_at"))
    if ended_at is None or started_at is None:
        return False
    return ended_at <= started_at


@dataclass(frozen=True)
class Walk:
    """A chain seen from one segment: ``segments`` tip first, head last.

    ``stopped`` says why the walk ended: ``head`` (no continuing parent), ``hop_cap`` (20 hops,
    S3.6) or ``cycle`` (a repeated id; the rows of the cycle then stand alone, S3.10).
    """

    segments: tuple[str, ...]
    stopped: str

    @property
    def tip(self) -> str:
        return self.segments[0]

    @property
    def head(self) -> str:
        return self.segments[-1]

    @property
    def parent(self) -> str | None:
        """The segment this one directly continues, if any."""
        return self.segments[1] if len(self.segments) > 1 else None

    @property
    def needs_review(self) -> bool:
        return self.stopped != "head"


def walk_up(start: str, lookup: Callable[[str], Record | None]) -> Walk:
    """Follow continuing parents from ``start``, at most :data:`MAX_HOPS` hops.

    On a repeated id the walk is cut back to the segment where the cycle was entered, so every
    member of a parent cycle is its own head, whichever member the walk starts from.
    """
    segments = [start]
    position = {start: 0}
    current = lookup(start)
    stopped = "head"
    while current is not None:
        parent_id = current.get("parent_session_id")
        if not parent_id:
            break
        parent_id = str(parent_id)
        parent = lookup(parent_id)
        if not is_continuation(parent, current):
            break
        if parent_id in position:
            del segments[position[parent_id] + 1:]
            stopped = "cycle"
            break
        if len(segments) > MAX_HOPS:
            stopped = "hop_cap"
            break
        position[parent_id] = len(segments)
        segments.append(parent_id)
        current = parent
    return Walk(tuple(segments), stopped)
