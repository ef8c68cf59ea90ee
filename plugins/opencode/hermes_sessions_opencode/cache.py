"""What the source remembers between calls of one store, kept in ``context.state``.

A database's listing is cached under the ``(mtime_ns, size)`` of ``opencode.db`` and of its
``-wal`` (every commit changes one of them), so a warm listing costs two stats per database.
A legacy session is cached under the stat of its session file and the ``mtime_ns`` of its
message folder. Values are frozen summaries, shared safely; rows are built fresh from them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, Hashable, TypeVar

__all__ = ["KeyedCache", "OpenCodeCache", "cache_for"]

V = TypeVar("V")
_STATE_KEY = "hermes_sessions_opencode:cache"


class KeyedCache(Generic[V]):
    """``path → (key, value)``, least recently used dropped first; a lookup with another key
    is a miss (:meth:`stale` still gives the old value, for a database that is locked now)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max(1, max_entries)
        self._entries: OrderedDict[str, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(path)
            if entry is None or entry[0] != key:
                return None
            self._entries.move_to_end(path)
            return entry[1]

    def stale(self, path: str) -> V | None:
        with self._lock:
            entry = self._entries.get(path)
            return entry[1] if entry is not None else None

    def put(self, path: str, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[path] = (key, value)
            self._entries.move_to_end(path)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_missing(self, folder: str, present: set[str]) -> None:
        """Drop entries under ``folder`` that the last scan did not find."""
        prefix = folder.rstrip("/") + "/"
        with self._lock:
            for path in [p for p in self._entries if p.startswith(prefix) and p not in present]:
                del self._entries[path]

    def __len__(self) -> int:
        return len(self._entries)


class OpenCodeCache:
    """Database listings by database path; legacy session summaries by session file path;
    kept rows and the transcripts a search built, by session."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.databases: KeyedCache[Any] = KeyedCache(64)
        self.legacy: KeyedCache[Any] = KeyedCache(max_entries)
        self.transcripts: KeyedCache[Any] = KeyedCache(max_entries)
        self.rows: KeyedCache[Any] = KeyedCache(max_entries)


def cache_for(state: dict[str, Any], max_entries: int = 4096) -> OpenCodeCache:
    """The calling store's cache (``context.state``), created on first use."""
    cache = state.get(_STATE_KEY)
    if not isinstance(cache, OpenCodeCache):
        cache = state[_STATE_KEY] = OpenCodeCache(max_entries)
    return cache
