"""How a source tells whoever asked how far a long piece of work has got.

A caller (the command line) leaves a callback ``progress(source, done, total)`` in the store's
source state for one kind of work, for as long as the work runs
(``SessionStore.reporting_index_progress``, ``SessionStore.reporting_read_progress``); a source
asks for it by kind and calls ``progress(done, total)``. Hosts that never ask see no change,
and a source that never reports only leaves the caller without a bar.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol

__all__ = ["INDEXING", "READING", "Progress", "Steps", "progress_for"]

#: A search building or catching up a source's index (the first search of a large store).
INDEXING = "hermes_sessions_core.search:index_progress"
#: A listing that reads every file whole: ``hermes-sessions usage`` counts exactly.
READING = "hermes_sessions_core.progress:reading"

Progress = Callable[[int, int], None]


class WithState(Protocol):
    """A ``SourceContext``, as far as reporting reads it (this module sits below the hook
    contract, which names its records)."""

    @property
    def state(self) -> Mapping[str, Any]: ...


def progress_for(context: WithState, kind: str, source: str) -> Progress | None:
    """The callback ``source`` reports ``kind`` of work to, or None if nobody asked:
    ``progress = progress_for(context, READING, "my_source"); progress(done, total)``."""
    callback = context.state.get(kind)
    if not callable(callback):
        return None

    def report(done: int, total: int) -> None:
        callback(source, done, total)

    return report


class Steps:
    """A source's count of work for a :data:`Progress` callback (or none): ``step()`` per
    file done, ``add(n)`` when a pass finds ``n`` more to do (the total may grow)."""

    __slots__ = ("done", "total", "_progress")

    def __init__(self, progress: Progress | None, total: int = 0) -> None:
        self._progress = progress
        self.done = 0
        self.total = total
        if progress is not None and total:
            progress(0, total)

    def add(self, more: int) -> None:
        self.total += more
        if self._progress is not None and more:
            self._progress(self.done, self.total)

    def step(self) -> None:
        self.done += 1
        if self._progress is not None:
            self._progress(self.done, self.total)
