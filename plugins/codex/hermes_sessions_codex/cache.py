"""What the source remembers between calls, per store (kept in ``context.state``).

Summaries are keyed by (path, ``mtime_ns``, size): an unchanged folder lists without opening a
rollout. Count replays (:mod:`.counts`) outlive file versions (rollouts are append-only).
``paths`` maps thread ids to files so opening a session needs no rescan. Bounded (least
recently used entries go first); a lock keeps concurrent listings consistent and is never
held while a file is read.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Iterable

from hermes_sessions_core.stat_cache import StatCache

from .settings import SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext

__all__ = ["NOT_A_ROLLOUT", "StatCache", "CodexCache", "cache_for"]

#: Cached for files that are not rollouts, so they are not re-read either.
NOT_A_ROLLOUT = "not-a-rollout"



class CodexCache:
    def __init__(self, max_entries: int = 8192) -> None:
        self.summaries: StatCache[Any] = StatCache(max_entries)
        self.counts: StatCache[Any] = StatCache(max_entries)
        self._paths: dict[str, tuple[str, bool]] = {}
        self._rows: dict[str, tuple[Any, tuple[int, ...], Any]] = {}
        #: forks' summaries with their own usage only (see :mod:`.forks`)
        self.forks: dict[str, Any] = {}
        #: How many rollouts the last listing found (an unchanged count skips the forgetting;
        #: a file replaced by another leaves an entry the bounded cache ages out).
        self.files_seen = -1
        #: ((settings, limit), the files found, the rows): the last listing, when every row
        #: of it was kept (shared rows are read-only) and no figure was still estimated.
        self.last_listing: tuple[Any, list[Any], tuple[Any, ...]] | None = None
        self._lock = threading.Lock()

    def row_for(self, path: str, summary: Any, children: tuple[Any, ...]) -> Any | None:
        """What was kept for this very summary and these children: the row, ``False`` when
        it was listed once without being kept, None when never."""
        with self._lock:
            entry = self._rows.get(path)
        if entry is None or entry[0] is not summary:
            return None
        return entry[2] if entry[1] == tuple(id(child) for child in children) else None

    def keep_row(self, path: str, summary: Any, children: tuple[Any, ...], row: Any) -> None:
        with self._lock:
            if len(self._rows) >= self.summaries.max_entries:
                self._rows.clear()
            self._rows[path] = (summary, tuple(id(child) for child in children), row)

    def remember_path(self, thread_id: str, path: str, archived: bool) -> None:
        with self._lock:
            self._paths[thread_id] = (path, archived)
            if len(self._paths) > self.summaries.max_entries * 2:
                self._paths.pop(next(iter(self._paths)))

    def path_for(self, thread_id: str) -> tuple[str, bool] | None:
        with self._lock:
            return self._paths.get(thread_id)

    def forget_missing(self, roots: Iterable[str], present: set[str]) -> None:
        roots = list(roots)
        self.summaries.forget_missing(roots, present)
        self.counts.forget_missing(roots, present)
        with self._lock:
            for path in self._rows.keys() - present:
                del self._rows[path]

    def clear(self) -> None:
        self.summaries.clear()
        self.counts.clear()
        self.last_listing = None
        with self._lock:
            self._paths.clear()
            self._rows.clear()


_STATE_LOCK = threading.Lock()


def cache_for(context: SourceContext) -> CodexCache:
    """This store's cache, created on first use in ``context.state`` (no globals)."""
    with _STATE_LOCK:
        cache = context.state.get(SOURCE_NAME)
        if not isinstance(cache, CodexCache):
            cache = context.state[SOURCE_NAME] = CodexCache()
        return cache
