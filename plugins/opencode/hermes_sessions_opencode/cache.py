"""What the source remembers between calls of one store, kept in ``context.state``.

A database's listing is cached under the ``(mtime_ns, size)`` of ``opencode.db`` and of its
``-wal`` (every commit changes one of them), so a warm listing costs two stats per database.
A legacy session is cached under the stat of its session file and the ``mtime_ns`` of its
message folder. Values are frozen summaries, shared safely; rows are built fresh from them.
"""

from __future__ import annotations

from typing import Any

from hermes_sessions_core.stat_cache import StatCache

__all__ = ["StatCache", "OpenCodeCache", "cache_for"]

_STATE_KEY = "hermes_sessions_opencode:cache"


class OpenCodeCache:
    """Database listings by database path; legacy session summaries by session file path;
    kept rows and the transcripts a search built, by session."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.databases: StatCache[Any] = StatCache(64)
        self.legacy: StatCache[Any] = StatCache(max_entries)
        self.transcripts: StatCache[Any] = StatCache(max_entries)
        self.rows: StatCache[Any] = StatCache(max_entries)


def cache_for(state: dict[str, Any], max_entries: int = 4096) -> OpenCodeCache:
    """The calling store's cache (``context.state``), created on first use."""
    cache = state.get(_STATE_KEY)
    if not isinstance(cache, OpenCodeCache):
        cache = state[_STATE_KEY] = OpenCodeCache(max_entries)
    return cache
