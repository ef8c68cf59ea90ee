"""hermes-sessions core: the session model, hook specs, plugin manager, aggregator and store.

Importing this package has no side effects (S7.9): no environment writes, no files, no threads,
no global plugin manager. Build a :class:`SessionStore` to use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from .hookspecs import (
        ENTRY_POINT_GROUP,
        AgentTranscript,
        ListRequest,
        SourceContext,
        StoredSession,
        WebuiStoreFacts,
        hookimpl,
        hookspec,
    )
    from .locations import Locations
    from .models import (
        ROLE_AGENT_STORE,
        ROLE_WEBUI_STORE,
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
    from .store import SessionStore

__version__ = "0.1.0"

__all__ = [
    "AgentTranscript",
    "ENTRY_POINT_GROUP",
    "HermesSessionsError",
    "InvalidProfileName",
    "InvalidSessionId",
    "ListRequest",
    "Locations",
    "PartialSessionSaveError",
    "Problem",
    "ROLE_AGENT_STORE",
    "ROLE_WEBUI_STORE",
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
    "StoredSession",
    "Transcript",
    "WebuiStoreFacts",
    "hookimpl",
    "hookspec",
    "is_valid_session_id",
    "new_session_id",
    "title_from",
]

# Where each public name lives. They load on first use, so that importing one module of the
# package (the command line's `--help`, the Web UI drop-in) does not load all of them.
_HOMES = {
    **dict.fromkeys(
        (
            "ENTRY_POINT_GROUP", "AgentTranscript", "ListRequest", "SourceContext",
            "StoredSession", "WebuiStoreFacts", "hookimpl", "hookspec",
        ),
        "hookspecs",
    ),
    "Locations": "locations",
    **dict.fromkeys(
        (
            "Problem", "ROLE_AGENT_STORE", "ROLE_WEBUI_STORE", "Session", "SessionRow",
            "SidebarListing", "SourceInfo", "SourceListing", "Transcript", "is_valid_session_id",
            "new_session_id", "title_from",
        ),
        "models",
    ),
    "SessionStore": "store",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
