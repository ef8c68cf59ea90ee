"""Whether the Web UI already holds an agent ``webui`` row: as a session, or as a deletion (S3.16).

A ``webui``-source agent row is listed only to recover a conversation the Web UI store no
longer holds; a deleted id must not come back (S2.26, S8.20). The Web UI store answers both
through the core (``context.webui_store``), so this holds on every backend it runs on; without
a Web UI store nothing is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable

from hermes_sessions_core.hookspecs import WebuiStoreFacts

__all__ = ["WebuiPresence"]


class WebuiPresence:
    """Answers "does the Web UI know these ids?" for one call; the store is asked only when a
    ``webui`` row needs it."""

    def __init__(self, webui_store: WebuiStoreFacts | None) -> None:
        self._store = webui_store

    def hidden(self, session_ids: Iterable[str]) -> frozenset[str]:
        """The ids the Web UI store holds or deleted."""
        wanted = frozenset(session_ids)
        if self._store is None or not wanted:
            return frozenset()
        held = {stored.session_id for stored in self._store.stored_sessions(None, wanted)}
        return frozenset(held) | (wanted & self._store.deleted_ids())
