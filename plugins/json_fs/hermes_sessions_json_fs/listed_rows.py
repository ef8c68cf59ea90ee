"""Sidebar rows handed out by the last listing, reused while the index still holds them.

The index keeps its decoded rows between listings (see :mod:`.index`), so most rows of a
listing are the very dicts of the one before. Wrapping each in a new :class:`SessionRow` would
throw away what the sidebar derived from it (its sort key and filters, see
``SessionRow.memoized``); reusing the row keeps that work, which is most of a listing.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from hermes_sessions_core.locations import DEFAULT_PROFILE
from hermes_sessions_core.models import SessionRow

__all__ = ["ListedRows", "listed_rows_of"]


class ListedRows:
    """Rows of one session folder's last listing, by the identity of the dict they wrap."""

    def __init__(self) -> None:
        # Grows by the rows each listing adds; pruned when it holds many no longer listed.
        self._last: dict[str, tuple[dict[str, Any], SessionRow]] = {}

    def adopt_all(self, rows: list[dict[str, Any]]) -> tuple[SessionRow, ...]:
        """A row for each dict: the previous listing's where it is the same dict, else new.

        A dict is never changed once it is in the index (a save writes a new one), so the same
        object means the same row; ``SessionRow.kept`` makes its nested values read-only, so
        no caller can change what the next listing returns. Rows without a profile report
        ``default`` (S2.35).
        """
        last = self._last
        known_row = last.get
        adopted = []
        for values in rows:
            session_id = values.get("session_id")
            known = known_row(session_id) if type(session_id) is str else None
            if known is not None and known[0] is values:
                adopted.append(known[1])
                continue
            shown = values if values.get("profile") else {**values, "profile": DEFAULT_PROFILE}
            row = SessionRow.kept(shown)
            if type(session_id) is str:
                last[session_id] = (values, row)  # one item assignment: safe across threads
            adopted.append(row)
        if len(last) > len(rows) + len(rows) // 4 + 64:  # drop rows no longer listed
            self._last = {
                session_id: last[session_id]
                for session_id in (v.get("session_id") for v in rows)
                if type(session_id) is str and session_id in last
            }
        return tuple(adopted)


_lock = threading.Lock()
_by_folder: weakref.WeakKeyDictionary[Any, ListedRows] = weakref.WeakKeyDictionary()


def listed_rows_of(owner: Any) -> ListedRows:
    """The :class:`ListedRows` of one ``SessionFiles``, made on first use."""
    with _lock:
        listed = _by_folder.get(owner)
        if listed is None:
            listed = _by_folder[owner] = ListedRows()
        return listed
