"""The drop-in's one store: a :class:`~hermes_sessions_core.store.SessionStore` with a
per-thread switch that lists only the Web UI store.

Its own module so that importing the drop-in does not import the store (the plugin manager,
entry points, the aggregator): :mod:`.host` builds it on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..store import SessionStore


class _CompatStore(SessionStore):
    """The shared store, plus a per-thread switch that lists only the Web UI store.

    The original's ``all_sessions()`` lists Web UI files only; agent and Claude Code rows come
    from ``get_cli_sessions()``. The switch keeps one store (one cache, one set of locks).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._only_writable = threading.local()

    @contextmanager
    def writable_only(self) -> Iterator[None]:
        self._only_writable.on = True
        try:
            yield
        finally:
            self._only_writable.on = False

    def source_enabled(self, name: str) -> bool:
        if getattr(self._only_writable, "on", False):
            writable = self.dispatcher.writable_source()
            return writable is not None and name == writable.info.name
        return super().source_enabled(name)
