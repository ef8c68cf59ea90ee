"""The frozen records that cross the plugin boundary (S0.2): a source's description, its
listing, a transcript, the merged sidebar.

Frozen, so a caller can never alter a value a source has cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .problems import Problem
from .rows import SessionRow

__all__ = [
    "Transcript",
    "SourceInfo",
    "ROLE_WEBUI_STORE",
    "ROLE_AGENT_STORE",
    "SourceListing",
    "SidebarListing",
]


@dataclass(frozen=True, slots=True)
class Transcript:
    """A session's messages as one source read them.

    ``total_count`` counts every parsed message even when ``messages`` is a window (S4.17);
    ``truncated`` says the source read only part of the data. The message dicts are fresh
    objects owned by the caller.
    """

    session_id: str
    source: str
    messages: tuple[dict[str, Any], ...]
    total_count: int
    truncated: bool = False
    tool_calls: tuple[dict[str, Any], ...] = ()


#: The role of the Web UI's own store: saves go there, its rows win the sidebar merge (S6.2),
#: and other sources ask it which sessions it holds and which ids were deleted.
ROLE_WEBUI_STORE = "webui_store"
#: The role of the agent's store: its rows follow the host's "show agent sessions" switch.
ROLE_AGENT_STORE = "agent_store"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a source is: its name, label, whether it can write, and which ids it owns.

    ``id_prefixes`` lists prefixes whose ids only this source holds (``claude_code_``); a
    source without prefixes may hold any valid id and is asked in ``priority`` order
    (lower first; the writable Web UI store is 0). ``roles`` are the parts it plays for the
    core (:data:`ROLE_WEBUI_STORE`, :data:`ROLE_AGENT_STORE`): the core finds a role's source
    by capability, never by name, so a third-party store can take one.
    """

    name: str
    label: str
    writable: bool
    id_prefixes: tuple[str, ...] = ()
    priority: int = 100
    description: str = ""
    roles: frozenset[str] = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def owns_prefix(self, session_id: str) -> bool:
        return any(session_id.startswith(prefix) for prefix in self.id_prefixes)


@dataclass(frozen=True, slots=True)
class SourceListing:
    """One source's answer to a listing: its rows (after its own projection and limit) and
    the problems it met along the way (a skipped corrupt file, an unreadable database)."""

    source: str
    rows: tuple[SessionRow, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class SidebarListing:
    """The merged sidebar (S6): rows in display order, problems, rows hidden by profile, and
    CLI-classified rows left out by the cap on them (S6.10).

    ``row_sources`` names, for each row, the source that supplied it (the Web UI store when it
    holds the id, S6.2), so a caller can narrow the sidebar to one source without changing
    which row wins.
    """

    rows: tuple[SessionRow, ...]
    problems: tuple[Problem, ...] = ()
    other_profile_count: int = 0
    sources: tuple[str, ...] = field(default=())
    capped_cli_count: int = 0
    row_sources: tuple[str, ...] = field(default=())

    def as_dicts(self) -> list[dict[str, Any]]:
        return [row.to_dict() for row in self.rows]

    def rows_from(self, sources: Iterable[str]) -> tuple[SessionRow, ...]:
        """The rows, in order, that one of ``sources`` supplied."""
        wanted = frozenset(sources)
        return tuple(
            row for row, source in zip(self.rows, self.row_sources, strict=True)
            if source in wanted
        )
