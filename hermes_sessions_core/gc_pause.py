"""Pausing Python's cyclic garbage collector while a listing builds many containers.

Decoding ``_index.json`` and building the sidebar allocate a few objects per session, none of
them garbage. CPython counts every allocation towards its next collection, and each full
collection walks every object alive, so at 100,000 sessions collections took more than half
of a listing's CPU and made its cost per row grow with the store. Reference counting frees
everything as usual while paused; only cycles wait until the pause ends.

Pauses nest and may overlap across threads: the collector runs again when the last one ends,
and only if it was running when the first began (a host that switched it off keeps it off).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off cyclic collections for the duration of the ``with`` block."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
