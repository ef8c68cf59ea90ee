"""What the source remembers between calls, keyed by (path, ``mtime_ns``, size).

An unchanged folder is listed from this cache without opening a chat. Entries are frozen
values; the cache is bounded (least recently used first out) and forgets files a scan no
longer finds. A lock keeps concurrent listings consistent and is never held while reading.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from hermes_sessions_core.stat_cache import StatCache

__all__ = ["NOT_A_SESSION", "StatCache", "SourceCache", "default_cache", "clear_default_cache"]

#: Cached for files that hold no session (no ``sessionId``), so they are not re-read either.
NOT_A_SESSION = "not-a-session"



class SourceCache:
    """Chat summaries, ``.project_root`` contents and the id → path map."""

    def __init__(self, max_entries: int = 8192) -> None:
        self.summaries: StatCache[Any] = StatCache(max_entries)
        self.project_roots: StatCache[str] = StatCache(max_entries)
        #: built rows (``SessionRow.kept``) with what they were built from, reused while equal
        self.rows: StatCache[Any] = StatCache(max_entries)
        self._paths: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember_path(self, native_id: str, path: str) -> None:
        with self._lock:
            self._paths[native_id] = path
            if len(self._paths) > self.summaries.max_entries * 2:
                self._paths.pop(next(iter(self._paths)))

    def path_for(self, native_id: str) -> str | None:
        with self._lock:
            return self._paths.get(native_id)

    def forget_missing(self, roots: Iterable[str], present: set[str]) -> None:
        roots = list(roots)
        self.summaries.forget_missing(roots, present)
        self.rows.forget_missing(roots, present)

    def clear(self) -> None:
        self.summaries.clear()
        self.project_roots.clear()
        self.rows.clear()
        with self._lock:
            self._paths.clear()


_DEFAULT: SourceCache | None = None
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> SourceCache:
    """The process-wide cache, created on first use (never at import)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SourceCache()
        return _DEFAULT


def clear_default_cache() -> None:
    """Forget every cached parse (tests, or a host that wants a cold listing)."""
    with _DEFAULT_LOCK:
        if _DEFAULT is not None:
            _DEFAULT.clear()
