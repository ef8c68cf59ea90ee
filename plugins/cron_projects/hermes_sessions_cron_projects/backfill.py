"""The one-time profile back-fill of untagged projects (S5.2, #1614).

On the first load in a process, every project without a ``profile`` takes the profile of the
first sidebar-index row that uses it, else ``default``. The change is made under the file's
thread and process locks on a fresh read, so racing threads and processes tag each project
once and a later load leaves the file (and its mtime) alone. A failed save is retried on the
next load; a thread that waited for another's back-fill re-reads the file.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.locations import DEFAULT_PROFILE, Locations

from .errors import ProjectsFileUnreadable
from .projects_file import ProjectsFile

__all__ = [
    "IndexRows", "forget_backfills", "index_rows_at", "index_rows_of",
    "load_projects_with_backfill", "tag_untagged",
]

logger = logging.getLogger(__name__)

IndexRows = Callable[[], Iterable[Mapping[str, Any]]]

_done: set[str] = set()
_done_guard = threading.Lock()
_waits: dict[str, threading.Lock] = {}


def forget_backfills() -> None:
    """Forget which files were back-filled in this process (tests; a host after a restore)."""
    with _done_guard:
        _done.clear()


def index_rows_of(locations: Locations) -> list[dict[str, Any]]:
    """Rows of ``<sessions>/_index.json`` in file order (newest first); ``[]`` if unreadable.

    The index is the Web UI's own file format, shared with today's Web UI, so reading it does
    not depend on the store plugin. Remote session URLs are read through fsspec.
    """
    try:
        if locations.session_url and "://" in locations.session_url:
            import fsspec

            with fsspec.open(locations.session_url.rstrip("/") + "/_index.json", "rb") as handle:
                data = handle.read()
        else:
            folder = Path(locations.session_url) if locations.session_url else locations.session_dir
            return index_rows_at(folder / "_index.json")
        return _rows_of(data)
    except Exception as error:  # noqa: BLE001 - the index is optional: tag as default
        logger.debug("project back-fill: no readable session index (%s)", error)
        return []


def index_rows_at(path: Path) -> list[dict[str, Any]]:
    """Rows of the index file at ``path`` (a host that keeps it elsewhere); ``[]`` if unreadable."""
    try:
        return _rows_of(Path(path).read_bytes())
    except Exception as error:  # noqa: BLE001 - the index is optional: tag as default
        logger.debug("project back-fill: no readable session index at %s (%s)", path, error)
        return []


def _rows_of(data: bytes) -> list[dict[str, Any]]:
    rows = json.loads(data.decode("utf-8-sig"))
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def tag_untagged(projects: list[Any], rows: Iterable[Mapping[str, Any]]) -> list[Any] | None:
    """Tag each untagged project; ``None`` when every project already has a profile."""
    untagged = [p for p in projects if isinstance(p, dict) and not p.get("profile")]
    if not untagged:
        return None
    wanted = {p.get("project_id") for p in untagged if p.get("project_id")}
    first_profile: dict[Any, str] = {}
    for row in rows:
        project_id = row.get("project_id")
        profile = row.get("profile")
        if project_id in wanted and profile and isinstance(profile, str):
            first_profile.setdefault(project_id, profile)  # the first row wins
    for project in untagged:
        project["profile"] = first_profile.get(project.get("project_id"), DEFAULT_PROFILE)
    return projects


def load_projects_with_backfill(
    file: ProjectsFile, index_rows: IndexRows, done: set[str] | None = None
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
            stored = file.update(lambda latest: tag_untagged(latest, index_rows()))
        except ProjectsFileUnreadable as error:
            logger.warning("projects are unreadable, listing none: %s", error)
            return []
        except (StorageError, OSError) as error:
            logger.warning("project profile back-fill not saved, will retry: %s", error)
            return tag_untagged(current, index_rows()) or current
        with _done_guard:
            done.add(key)
        return stored
