"""Projects and the per-profile ``Cron Jobs`` project (S5), as a built-in plugin.

``<state dir>/projects.json`` is read and changed atomically (:mod:`.projects_file`), untagged
projects are back-filled once (:mod:`.backfill`), the Cron Jobs project is found read-only and
created only on request (:mod:`.cron`), and projects belong to one profile each
(:mod:`.ownership`). This module holds only the hook implementation; the public functions for
the host's compatibility layer and the command line are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hermes_sessions_core.hookspecs import Project, SourceContext, StoredSession, hookimpl
from hermes_sessions_core.times import to_epoch

from .backfill import StoredSessions, forget_backfills, load_projects_with_backfill, tag_untagged
from .cron import (
    CRON_PROJECT_COLOR,
    CRON_PROJECT_NAME,
    CronMemo,
    cron_project_id,
    ensure_cron_project,
    find_cron_project,
    is_cron_session,
)
from .errors import InvalidProjectId, ProjectNotFound, ProjectRefused, ProjectsFileUnreadable
from .ownership import (
    check_session_move,
    create_project,
    delete_project,
    move_session,
    projects_of_profile,
    rename_project,
)
from .projects_file import ProjectsFile, validate_project_id

__all__ = [
    "SETTINGS_KEY",
    "CRON_PROJECT_COLOR",
    "CRON_PROJECT_NAME",
    "InvalidProjectId",
    "ProjectNotFound",
    "ProjectRefused",
    "ProjectsFile",
    "ProjectsFileUnreadable",
    "StoredSessions",
    "check_session_move",
    "create_project",
    "cron_project_id",
    "delete_project",
    "ensure_cron_project",
    "find_cron_project",
    "forget_backfills",
    "is_cron_session",
    "load_projects_with_backfill",
    "move_session",
    "projects_of_profile",
    "rename_project",
    "tag_untagged",
    "validate_project_id",
]

SOURCE_LABEL = "projects.json"


@hookimpl
def hermes_sessions_projects(context: SourceContext, profile: str) -> list[Project]:
    """``projects.json`` entries of ``profile``, read-only: listing never writes (S5.6)."""
    locations = context.locations
    stored = ProjectsFile(locations.projects_file).read_or_empty()
    return [
        Project(
            project_id=str(project["project_id"]),
            name=str(project.get("name") or ""),
            color=project.get("color") if isinstance(project.get("color"), str) else None,
            profile=project.get("profile") if isinstance(project.get("profile"), str) else None,
            created_at=to_epoch(project.get("created_at")),
            source=SOURCE_LABEL,
        )
        for project in projects_of_profile(stored, profile, locations)
        if isinstance(project.get("project_id"), str) and project.get("project_id")
    ]


#: This plugin's name in a store's settings and per-store state.
SETTINGS_KEY = "cron_projects"


@hookimpl
def hermes_sessions_stored_projects(context: SourceContext, migrate: bool) -> list[Any]:
    """``projects.json`` as stored, back-filled once per store when asked (S5.2), from the
    sessions the Web UI store says it holds."""
    file = ProjectsFile(context.locations.projects_file)
    if not migrate:
        return file.read_or_empty()
    done = context.state.setdefault(f"{SETTINGS_KEY}.backfilled", set())
    webui_store = context.webui_store

    def stored_sessions() -> Sequence[StoredSession]:
        return webui_store.stored_sessions() if webui_store is not None else ()

    return load_projects_with_backfill(file, stored_sessions, done)


@hookimpl
def hermes_sessions_replace_projects(
    context: SourceContext, projects: Sequence[Mapping[str, Any]]
) -> bool:
    ProjectsFile(context.locations.projects_file).replace(list(projects))
    return True


@hookimpl
def hermes_sessions_ensure_cron_project(context: SourceContext, profile: str) -> str:
    return ensure_cron_project(context.locations, profile)


@hookimpl
def hermes_sessions_cron_project_id(context: SourceContext, profile: str) -> str | None:
    """Looked up, never created (S5.6); remembered per store until ``projects.json`` changes,
    because every agent listing asks."""
    memo = context.state.get(_CRON_MEMO)
    if memo is None:
        memo = context.state.setdefault(_CRON_MEMO, CronMemo())
    return cron_project_id(context.locations, profile, memo)


#: Where a store's remembered Cron Jobs project ids live in its ``context.state``.
_CRON_MEMO = f"{SETTINGS_KEY}.cron_project_ids"
