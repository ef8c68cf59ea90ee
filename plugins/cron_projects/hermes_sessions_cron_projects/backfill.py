"""The one-time profile back-fill of untagged projects (S5.2, #1614).

On the first load in a process, every project without a ``profile`` takes the profile of the
newest Web UI session that uses it, else ``default``. The sessions come from the Web UI store
itself (``context.webui_store``), never from its files: only the store knows its pending index
changes and its remote storage. The change is made under the file's thread and process locks on
a fresh read, so racing threads and processes tag each project once and a later load leaves the
file (and its mtime) alone. A failed save is retried on the next load; a thread that waited for
another's back-fill re-reads the file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.hookspecs import StoredSession
from hermes_sessions_core.locations import DEFAULT_PROFILE

from .errors import ProjectsFileUnreadable
from .projects_file import ProjectsFile

__all__ = ["StoredSessions", "forget_backfills", "load_projects_with_backfill", "tag_untagged"]

logger = logging.getLogger(__name__)

#: The Web UI store's sessions, newest first; called only when a project needs a profile.
StoredSessions = Callable[[], Iterable[StoredSession]]

_done: set[str] = set()
_done_guard = threading.Lock()
_waits: dict[str, threading.Lock] = {}


def forget_backfills() -> None:
    """Forget which files were back-filled in this process (tests; a host after a restore)."""
    with _done_guard:
        _done.clear()


def tag_untagged(projects: list[Any], sessions: Iterable[StoredSession]) -> list[Any] | None:
    """Tag each untagged project with the profile of the first (newest) session using it;
    ``None`` when every project already has a profile."""
    untagged = [p for p in projects if isinstance(p, dict) and not p.get("profile")]
    if not untagged:
        return None
    wanted = {p.get("project_id") for p in untagged if p.get("project_id")}
    first_profile: dict[Any, str] = {}
    for session in sessions:
        if session.project_id in wanted and session.profile:
            first_profile.setdefault(session.project_id, session.profile)  # the first one wins
    for project in untagged:
        project["profile"] = first_profile.get(project.get("project_id"), DEFAULT_PROFILE)
    return projects


def load_projects_with_backfill(
    file: ProjectsFile, stored_sessions: StoredSessions, done: set[str] | None = None
) -> list[Any]:
    """Every stored project, back-filled once; never raises for bad data.

    ``done`` remembers the files already back-filled: a store's own set (its per-store
    state), else one set for the whole process.
    """
    done = _done if done is None else done
    key = str(file.path)
    if key in done:
        return file.read_or_empty()
    try:
        current = file.read()
    except (ProjectsFileUnreadable, StorageError) as error:
        logger.warning("projects are unreadable, listing none: %s", error)
        return []
    if current is None:
        return []
    with _done_guard:
        wait = _waits.setdefault(key, threading.Lock())
    with wait:
        if key in done:
            return file.read_or_empty()  # another thread back-filled while we waited
        try:
            stored = file.update(lambda latest: tag_untagged(latest, stored_sessions()))
        except ProjectsFileUnreadable as error:
            logger.warning("projects are unreadable, listing none: %s", error)
            return []
        except (StorageError, OSError) as error:
            logger.warning("project profile back-fill not saved, will retry: %s", error)
            return tag_untagged(current, stored_sessions()) or current
        with _done_guard:
            done.add(key)
        return stored
