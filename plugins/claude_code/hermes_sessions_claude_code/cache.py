"""Parsed summaries cached by (resolved path, ``mtime_ns``, size) (S4.18).

An unchanged folder is listed from this cache without opening a transcript. The cache is
bounded (least recently used entries go first) and forgets files a scan no longer finds.
Values are frozen, so sharing them between callers is safe; a lock keeps concurrent listings
consistent and is never held while a file is read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, Iterable, TypeVar

__all__ = [
    "NOT_A_SESSION", "StatCache", "SummaryCache", "default_cache", "clear_default_cache",
]

#: Cached for files that hold no conversation, so they are not re-read either.
NOT_A_SESSION = "not-a-session"

V = TypeVar("V")
StatKey = tuple[int, int]


class StatCache(Generic[V]):
    """``path → (stat key, value)``; a lookup with another key is a miss."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max(1, max_entries)
        self._entries: OrderedDict[str, tuple[StatKey, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: str, key: StatKey) -> V | None:
        with self._lock:
            entry = self._entries.get(path)
            if entry is None or entry[0] != key:
                return None
            self._entries.move_to_end(path)
            return entry[1]

    def put(self, path: str, key: StatKey, value: V) -> None:
        with self._lock:
            self._entries[path] = (key, value)
            self._entries.move_to_end(path)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_missing(self, roots: Iterable[str], present: set[str]) -> int:
        """Drop entries under ``roots`` whose file the last scan did not find."""
        prefixes = tuple(root.rstrip("/") + "/" for root in roots)
        if not prefixes:
            return 0
        with self._lock:
            # The set difference runs in C; only paths not found are tested against the roots.
            gone = [p for p in self._entries.keys() - present if p.startswith(prefixes)]
            for path in gone:
                del self._entries[path]
        return len(gone)

    def peek(self, path: str) -> tuple[StatKey, V] | None:
        """The entry for ``path`` whatever its key (for values that survive file changes)."""
        with self._lock:
            return self._entries.get(path)

    def items(self) -> list[tuple[str, tuple[StatKey, V]]]:
        with self._lock:
            return list(self._entries.items())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class SummaryCache:
    """Everything the source remembers between calls: row summaries, subagent parents, and
    the id → path map that lets a transcript open without a rescan."""

    def __init__(self, max_entries: int = 4096) -> None:
        # FileSummary, or NOT_A_SESSION for files with no conversation (S4.2).
        self.summaries: StatCache[Any] = StatCache(max_entries)
        self.agent_parents: StatCache[str] = StatCache(max_entries)
        # Exact running counts (CountState) by path; they outlive file versions (append-only).
        self.counts: StatCache[Any] = StatCache(max_entries)
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
