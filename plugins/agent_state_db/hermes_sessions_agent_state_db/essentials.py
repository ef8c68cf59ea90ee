"""What the hook implementations need before they know a ``state.db`` is there (issue 14).

The plugin module is imported in every process that builds a store, and on many machines the
agent never ran: the hooks find that out here, with a ``stat``, before they import the readers
(``sqlite3`` and a dozen modules of dataclasses). Nothing here imports more than the standard
library; the modules that used to define these names re-export them.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext
    from hermes_sessions_core.locations import Locations
    from hermes_sessions_core.search import SearchQuery

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_LIMIT",
    "DEFAULT_LOCK_WAIT",
    "DEFAULT_MESSAGING_SOURCES",
    "DEFAULT_SCAN_LIMIT",
    "DEFAULT_TTL",
    "ID_PREFIX",
    "SOURCE_NAME",
    "AgentDatabaseMissing",
    "LockWait",
    "SearchPlan",
    "lock_wait",
    "messaging_sources_from",
    "missing_database",
    "profiles_to_search",
]

SOURCE_NAME = "agent_state_db"
#: Agent ids have no prefix of their own; scoped ids are ``<machine>__<id>``.
ID_PREFIX = ""

#: Rows per listing (setting ``limit``).
DEFAULT_LIMIT = 20
#: Seconds a listing stays cached (setting ``cache_ttl``).
DEFAULT_TTL = 5.0
#: Without an FTS table, at most this many of the newest messages are scanned per database.
DEFAULT_SCAN_LIMIT = 200_000
#: Seconds a write (delete, S3.21) waits for a writer's lock before giving up.
DEFAULT_BUSY_TIMEOUT = 5.0
#: Seconds one read call may wait for writers' locks in total, across every store it opens.
DEFAULT_LOCK_WAIT = 0.75  # with the rest of a listing, a locked store answers within 1 s

#: Raw sources shown as messaging; ``whatsapp`` and the like stay ``other`` unless configured.
DEFAULT_MESSAGING_SOURCES: frozenset[str] = frozenset({"discord", "slack", "telegram", "weixin"})


def messaging_sources_from(value: object) -> frozenset[str]:
    """A configured messaging set (any iterable of names), else the default."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        return DEFAULT_MESSAGING_SOURCES
    return frozenset(str(item).strip().lower() for item in value if str(item).strip())


class AgentDatabaseMissing(FileNotFoundError):
    """The profile has no ``state.db``: the agent has not run there (or the path is wrong)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no agent database at {path}: the agent has not run for this profile")
        self.path = path


class LockWait:
    """What is left of one call's allowance for waiting on writers' locks; every connection
    the call opens takes its wait from here, so N stores never wait N times."""

    def __init__(self, seconds: float = DEFAULT_LOCK_WAIT) -> None:
        self.seconds = max(0.0, float(seconds))
        self._deadline = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())


def lock_wait(value: float | LockWait | None) -> LockWait:
    """``value`` as a :class:`LockWait` (a number of seconds starts a fresh allowance)."""
    if isinstance(value, LockWait):
        return value
    return LockWait(DEFAULT_LOCK_WAIT if value is None else value)


def missing_database(path: Path) -> AgentDatabaseMissing | None:
    """The :class:`AgentDatabaseMissing` that :func:`.connection.check_files` would raise for
    ``path`` (nothing there, or a folder), from one ``stat``; None when there is something to
    open, or the ``stat`` failed otherwise (the reader reports that itself)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return AgentDatabaseMissing(path)
    except OSError:
        return None
    return AgentDatabaseMissing(path) if stat.S_ISDIR(mode) else None


def profiles_to_search(locations: Locations, every_profile: bool = True) -> list[str]:
    """The active profile first, then (``every_profile``) every other profile with its own
    database; a host that keeps requests inside one profile passes False."""
    seen: set[Path] = set()
    ordered: list[str] = []
    others = locations.known_profiles() if every_profile else []
    for name in [locations.active_profile(), *others]:
        try:
            path = locations.state_db(name)
        except ValueError:
            continue
        if path not in seen:
            seen.add(path)
            ordered.append(name)
    return ordered


class SearchPlan:
    """A search's settings and the databases it reads, each once: the profiles asked (every
    one by default) whose ``state.db`` is a file (S9.5)."""

    __slots__ = ("databases", "excluded", "scan_limit", "wait")

    def __init__(self, context: SourceContext, query: SearchQuery) -> None:
        locations = context.locations
        names = list(query.profiles) or locations.known_profiles()
        self.wait = LockWait(float(context.setting(SOURCE_NAME, "lock_wait", DEFAULT_LOCK_WAIT)))
        self.scan_limit = int(
            context.setting(SOURCE_NAME, "search_scan_limit", DEFAULT_SCAN_LIMIT)
        )
        self.excluded = frozenset(
            str(name).strip().lower()
            for name in context.setting(SOURCE_NAME, "exclude_sources", ())
        )
        self.databases: list[tuple[str, Path]] = []
        seen: set[Path] = set()
        for profile in names:
            try:
                path = locations.state_db(profile)
            except ValueError:
                continue
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            self.databases.append((profile, path))
