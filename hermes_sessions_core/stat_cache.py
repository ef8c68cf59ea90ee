"""A bounded cache of what a source learned from each file, valid while the file is unchanged.

File-based sources key what they parsed by the file's path and a version key (its
``(mtime_ns, size)``, or anything that changes when the data does): an unchanged folder then
lists without opening a file (S4.18). Least recently used entries go first; a lock keeps
concurrent listings consistent and is never held while a file is read. Values should be frozen,
so sharing them between callers is safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, Iterable, TypeVar

__all__ = ["StatCache", "StatKey"]

V = TypeVar("V")
#: The usual version key: ``(st_mtime_ns, st_size)``.
StatKey = tuple[int, int]


class StatCache(Generic[V]):
    """``path → (version key, value)``; a lookup with another key is a miss."""

    def __init__(self, max_entries: int = 4096) -> None:
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

    def put(self, path: str, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[path] = (key, value)
            self._entries.move_to_end(path)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def peek(self, path: str) -> tuple[Hashable, V] | None:
        """The entry for ``path`` whatever its key (for values that outlive file versions)."""
        with self._lock:
            return self._entries.get(path)

    def stale(self, path: str) -> V | None:
        """The value for ``path`` whatever its key (the last answer of a store locked now)."""
        entry = self.peek(path)
        return entry[1] if entry is not None else None

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

    def items(self) -> list[tuple[str, tuple[Hashable, V]]]:
        with self._lock:
            return list(self._entries.items())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
