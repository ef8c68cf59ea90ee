"""The sidebar rows of the newest sessions, newest first, with the catalogue's problems."""

from __future__ import annotations

from hermes_sessions_core.models import SessionRow, SourceListing

from .catalogue import catalogue
from .rows import row_fields
from .settings import SOURCE_NAME, HistoryPlaces

__all__ = ["list_sessions"]


def list_sessions(places: HistoryPlaces, limit: int) -> SourceListing:
    entries, problems = catalogue(places, "hermes_sessions_list_rows")
    entries.sort(key=lambda entry: entry.summary.started_at or 0.0, reverse=True)
    rows = tuple(SessionRow.adopt(row_fields(entry.session_id, entry.path, entry.summary))
                 for entry in entries[:limit])
    return SourceListing(SOURCE_NAME, rows, tuple(problems))
