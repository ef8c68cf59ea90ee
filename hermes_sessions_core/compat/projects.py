"""Projects and the Cron Jobs project, through the project hooks (S5)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..locations import validate_profile_name
from ..models import is_cron_session as _is_cron_session
from .host import _active_profile, get_store

if TYPE_CHECKING:
    from ..hookspecs import Project

logger = logging.getLogger("hermes_sessions_core.compat")


# ── projects ───────────────────────────────────────────────────────────────────────────────


def load_projects(*, _migrate: bool = True) -> list[dict[str, Any]]:
    """Every project of every profile; ``[]`` when the file is missing or does not parse.

    The first load in a process tags untagged projects once (S5.2); ``_migrate=False`` reads
    the file as it is.
    """
    try:
        return get_store().stored_projects(migrate=_migrate)
    except Exception as error:  # noqa: BLE001 - as the original: no projects, never a crash
        logger.warning("projects are unreadable, listing none: %s", error)
        return []


def save_projects(projects: list[dict[str, Any]]) -> None:
    """Replace the project list atomically (S2.3).

    Corrected: a stored file that does not parse is never replaced (``ProjectsFileUnreadable``,
    S8.8), and a project without a valid ``project_id`` is refused (``InvalidProjectId``).
    """
    get_store().replace_projects(projects)


def ensure_cron_project() -> str:
    """The active profile's ``Cron Jobs`` project id, created once under a lock (S5.4).

    Corrected: it raises instead of replacing an unreadable ``projects.json`` (S8.8).
    """
    return get_store().ensure_cron_project(_active_profile())


def is_cron_session(session_id: Any, source_tag: Any = None) -> bool:
    """``source_tag`` ``cron`` or an id starting ``cron_`` (S5.5)."""
    return _is_cron_session(session_id, source_tag)


def list_projects(profile: str | None = None) -> list[Project]:
    """The profile's projects from ``projects.json`` and every plugin's hook (S5.3); read-only."""
    store = get_store()
    chosen = validate_profile_name(profile) if profile else _active_profile()
    projects, _problems = store.dispatcher.projects(store.context(), chosen)
    return projects
