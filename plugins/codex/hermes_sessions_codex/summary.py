"""What a sidebar row needs from one rollout, frozen so the cache can share it (S0.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hermes_sessions_core.times import to_epoch

from .discovery import RolloutFile
from .meta import ThreadMeta
from .replay import Replay
from .text import title_from
from .tokens import Request

__all__ = ["RolloutSummary", "NotARollout", "summary_from_replay", "DEFAULT_TITLE"]

DEFAULT_TITLE = "Codex session"


class NotARollout(ValueError):
    """The file does not start with a Codex ``session_meta`` record."""


@dataclass(frozen=True, slots=True)
class RolloutSummary:
    """One rollout's row facts. ``estimated``: counts and usage come from a head and tail
    window (made exact by a later listing); ``truncated``: the file is over the size cap and
    only its head and tail were read. ``request_digests``: each counted request's cumulative
    total, digested, in order; a fork also keeps its ``requests`` whole, so the ones copied
    from its source thread can be left out of its usage (``copied_requests``, see
    :mod:`.forks`)."""

    path: str
    thread_id: str
    archived: bool
    mtime_ns: int
    size: int
    meta: ThreadMeta
    first_at: float | None
    last_at: float | None
    title: str
    model: str | None
    message_count: int
    user_message_count: int
    totals: tuple[tuple[str, int], ...]
    usage: tuple[tuple[tuple[str, Any], ...], ...]
    bad_lines: int = 0
    estimated: bool = False
    truncated: bool = False
    request_digests: tuple[int, ...] = ()
    requests: tuple[Request, ...] = ()
    copied_requests: int = 0

    def usage_records(self) -> list[dict[str, Any]]:
        """Fresh usage records (``row["usage"]``), one per (day, model)."""
        return [dict(record) for record in self.usage]


def summary_from_replay(
    file: RolloutFile, meta: ThreadMeta, replay: Replay, *, estimated: bool = False,
    truncated: bool = False, counts: tuple[int, int] | None = None, title: str | None = None,
    usage: list[dict[str, Any]] | None = None,
) -> RolloutSummary:
    """The summary of what ``replay`` saw (``counts``, ``title`` and ``usage`` override it
    for window estimates)."""
    messages, users, first = replay.counts()
    if counts is not None:
        messages, users = counts
    if title is None and isinstance(first, str):
        title = title_from(first)
    records = usage if usage is not None else replay.tokens.tally.records()
    requests = replay.tokens.requests if usage is None else []  # a window's are partial
    started = to_epoch(meta.started_at) if meta.started_at else None
    first_at = started if started is not None else replay.first_at
    last_at = replay.last_at if replay.last_at is not None else first_at
    if first_at is None:
        first_at = last_at = file.mtime_ns / 1e9
    assert last_at is not None
    return RolloutSummary(
        path=file.path, thread_id=file.thread_id, archived=file.archived,
        mtime_ns=file.mtime_ns, size=file.size, meta=meta,
        first_at=float(first_at), last_at=float(max(last_at, first_at)),
        title=title or DEFAULT_TITLE, model=replay.model,
        message_count=messages, user_message_count=users,
        totals=tuple(replay.tokens.totals().items()),
        usage=tuple(tuple(record.items()) for record in records),
        bad_lines=replay.bad_lines, estimated=estimated, truncated=truncated,
        request_digests=tuple(request[0] for request in requests),
        requests=tuple(requests) if meta.forked_from_id is not None else (),
    )
