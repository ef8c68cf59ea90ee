"""Projects per profile (S5.3): listing, creating, and the refusals across profiles.

A project belongs to its ``profile`` (untagged counts as ``default``; ``default`` and a
renamed root are one profile, S7.4). A new project takes the active profile. Renaming or
deleting another profile's project is refused, and so is moving a session into one. Deleting
a project unassigns its sessions only through normal store saves.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.locations import Locations

from .errors import ProjectNotFound, ProjectRefused
from .projects_file import ProjectsFile, validate_project_id

if TYPE_CHECKING:
    from hermes_sessions_core.models import Session
    from hermes_sessions_core.store import SessionStore

__all__ = [
    "check_session_move",
    "create_project",
    "delete_project",
    "move_session",
    "projects_of_profile",
    "rename_project",
]


def projects_of_profile(
    projects: list[Any], profile: str, locations: Locations
) -> list[dict[str, Any]]:
    """The projects of ``profile``, in stored order."""
    return [
        project for project in projects
        if isinstance(project, dict) and locations.profiles_match(project.get("profile"), profile)
    ]


def _owned(
    projects: list[Any], project_id: str, profile: str, locations: Locations, action: str
) -> dict[str, Any]:
    for project in projects:
        if isinstance(project, dict) and project.get("project_id") == project_id:
            owner = project.get("profile") or "default"
            if not locations.profiles_match(owner, profile):
                raise ProjectRefused(project_id, str(owner), profile, action)
            return project
    raise ProjectNotFound(project_id)


def create_project(
    locations: Locations, name: str, *, color: str | None = None, profile: str | None = None
) -> dict[str, Any]:
    """Add a project for ``profile`` (the active one by default) and return it."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a project needs a non-empty name")
    owner = locations.active_profile(profile)
    project = {
        "project_id": uuid.uuid4().hex[:12],
        "name": name.strip(),
        "color": color,
        "profile": owner,
        "created_at": time.time(),
    }
    ProjectsFile(locations.projects_file).update(lambda projects: [*projects, project])
    return project


def rename_project(
    locations: Locations, project_id: str, name: str, *, profile: str | None = None,
    color: str | None = None,
) -> dict[str, Any]:
    """Rename (and optionally recolor) one of ``profile``'s projects; refuses others' (S5.3)."""
    validate_project_id(project_id)
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a project needs a non-empty name")
    owner = locations.active_profile(profile)
    renamed: list[dict[str, Any]] = []

    def change(projects: list[Any]) -> list[Any]:
        project = _owned(projects, project_id, owner, locations, "rename")
        project["name"] = name.strip()
        if color is not None:
            project["color"] = color
        renamed.append(dict(project))
        return projects

    ProjectsFile(locations.projects_file).update(change)
    return renamed[0]


def delete_project(
    locations: Locations, project_id: str, *, profile: str | None = None,
    store: SessionStore | None = None,
) -> list[str]:
    """Delete one of ``profile``'s projects; with a ``store``, unassign its Web UI sessions.

    Sessions are unassigned by ordinary store updates (each a full load and save under the
    session's lock), never by editing files. Returns the ids of the unassigned sessions.
    """
    validate_project_id(project_id)
    owner = locations.active_profile(profile)

    def change(projects: list[Any]) -> list[Any]:
        target = _owned(projects, project_id, owner, locations, "delete")
        return [project for project in projects if project is not target]

    ProjectsFile(locations.projects_file).update(change)
    if store is None:
        return []
    unassigned = []
    listing = store.list_sessions(owner, include_archived=True, include_cron=True)
    for row in listing.rows:
        if row.get("project_id") != project_id or row.get("read_only"):
            continue
        try:
            session = store.get(row.session_id)
        except KeyError:
            continue
        if session.read_only:
            continue  # an agent-only row: it has no Web UI file to change
        store.update(row.session_id, project_id=None)
        unassigned.append(row.session_id)
    return unassigned


def check_session_move(
    locations: Locations, project_id: str | None, profile: str | None = None
) -> None:
    """Refuse moving a session into another profile's project or an unknown one (S5.3)."""
    if project_id is None:
        return
    validate_project_id(project_id)
    owner = locations.active_profile(profile)
    projects = ProjectsFile(locations.projects_file).read() or []
    _owned(projects, project_id, owner, locations, "move a session into")


def move_session(
    store: SessionStore, session_id: str, project_id: str | None, *, profile: str | None = None
) -> Session:
    """Assign (or, with ``None``, unassign) a session's project after the checks of S5.3."""
    check_session_move(store.locations, project_id, profile)
    return store.update(session_id, project_id=project_id)
