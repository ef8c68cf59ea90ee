"""Parsed summaries cached by (resolved path, ``mtime_ns``, size) (S4.18).

An unchanged folder is listed from this cache without opening a transcript. The cache is
bounded (least recently used entries go first) and forgets files a scan no longer finds.
Values are frozen, so sharing them between callers is safe; a lock keeps concurrent listings
consistent and is never held while a file is read.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable

from hermes_sessions_core.stat_cache import StatCache

__all__ = [
    "NOT_A_SESSION", "StatCache", "SummaryCache", "default_cache", "clear_default_cache",
]

#: Cached for files that hold no conversation, so they are not re-read either.
NOT_A_SESSION = "not-a-session"

class SummaryCache:
    """Everything the source remembers between calls: row summaries, subagent parents, and
    the id → path map that lets a transcript open without a rescan."""

    def __init__(self, max_entries: int = 4096) -> None:
        # FileSummary, or NOT_A_SESSION for files with no conversation (S4.2).
        self.summaries: StatCache[Any] = StatCache(max_entries)
        self.agent_parents: StatCache[str] = StatCache(max_entries)
        # Exact running counts (CountState) by path; they outlive file versions (append-only).
        self.counts: StatCache[Any] = StatCache(max_entries)
        # Usage records of a file version's subagent responses (see :mod:`.subagent_usage`).
        self.subagent_usage: StatCache[Any] = StatCache(max_entries)
        self.loaded_state_files: set[str] = set()
        self._paths: dict[str, str] = {}
        self._lock = threading.Lock()

    def remember_path(self, session_id: str, path: str) -> None:
        with self._lock:
            self._paths[session_id] = path
            if len(self._paths) > self.summaries.max_entries * 2:
                self._paths.pop(next(iter(self._paths)))

    def path_for(self, session_id: str) -> str | None:
        with self._lock:
            return self._paths.get(session_id)

    def forget_missing(self, roots: Iterable[str], present: set[str]) -> None:
        roots = list(roots)
        self.summaries.forget_missing(roots, present)
        self.agent_parents.forget_missing(roots, present)
        self.counts.forget_missing(roots, present)
        self.subagent_usage.forget_missing(roots, present)
        with self._lock:
            prefixes = tuple(root.rstrip("/") + "/" for root in roots)
            stale = [
                sid for sid, p in self._paths.items()
                if p not in present and p.startswith(prefixes)
            ]
            for sid in stale:
                del self._paths[sid]

    def clear(self) -> None:
        self.summaries.clear()
        self.agent_parents.clear()
        self.counts.clear()
        self.subagent_usage.clear()
        self.loaded_state_files.clear()
        with self._lock:
            self._paths.clear()


_DEFAULT: SummaryCache | None = None
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> SummaryCache:
    """The process-wide cache, created on first use (never at import, S7.9)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SummaryCache()
        return _DEFAULT


def clear_default_cache() -> None:
    """Forget every cached parse (tests, or a host that wants a cold listing)."""
    with _DEFAULT_LOCK:
        if _DEFAULT is not None:
            _DEFAULT.clear()
