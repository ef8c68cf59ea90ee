"""hermes-sessions core: the session model, hook specs, plugin manager, aggregator and store.

Importing this package has no side effects (S7.9): no environment writes, no files, no threads,
no global plugin manager. Build a :class:`SessionStore` to use it.
"""

from __future__ import annotations

from .errors import (
    HermesSessionsError,
    InvalidProfileName,
    InvalidSessionId,
    PartialSessionSaveError,
    ReadOnlySessionError,
    SessionConflict,
    SessionNotFound,
    SessionUnreadable,
    StorageError,
)
from .hookspecs import ENTRY_POINT_GROUP, ListRequest, SourceContext, hookimpl, hookspec
from .locations import Locations
from .models import (
    Problem,
    Session,
    SessionRow,
    SidebarListing,
    SourceInfo,
    SourceListing,
    Transcript,
    is_valid_session_id,
    new_session_id,
    title_from,
)

__version__ = "0.1.0"

__all__ = [
    "ENTRY_POINT_GROUP",
    "HermesSessionsError",
    "InvalidProfileName",
    "InvalidSessionId",
    "ListRequest",
    "Locations",
    "PartialSessionSaveError",
    "Problem",
    "ReadOnlySessionError",
    "Session",
    "SessionConflict",
    "SessionNotFound",
    "SessionRow",
    "SessionStore",
    "SessionUnreadable",
    "SidebarListing",
    "SourceContext",
    "SourceInfo",
    "SourceListing",
    "StorageError",
    "Transcript",
    "hookimpl",
    "hookspec",
    "is_valid_session_id",
    "new_session_id",
    "title_from",
]


def __getattr__(name: str) -> object:
    # The store pulls in the aggregator and the plugin manager; load it on first use.
    if name == "SessionStore":
        from .store import SessionStore

        return SessionStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
