"""Projects and the per-profile ``Cron Jobs`` project (S5), as a built-in plugin.

``<state dir>/projects.json`` is read and changed atomically (:mod:`.projects_file`), untagged
projects are back-filled once (:mod:`.backfill`), the Cron Jobs project is found read-only and
created only on request (:mod:`.cron`), and projects belong to one profile each
(:mod:`.ownership`). This module holds only the hook implementation; the public functions for
the host's compatibility layer and the command line are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import Project, SourceContext, hookimpl
from hermes_sessions_core.times import to_epoch

from .backfill import (
    forget_backfills,
    index_rows_at,
    index_rows_of,
    load_projects_with_backfill,
    tag_untagged,
)
from .cron import (
    CRON_PROJECT_COLOR,
    CRON_PROJECT_NAME,
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
    "check_session_move",
    "create_project",
    "cron_project_id",
    "delete_project",
    "ensure_cron_project",
    "find_cron_project",
    "forget_backfills",
    "index_rows_at",
    "index_rows_of",
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


#: This plugin's options in a store's settings (``SessionStore(settings={SETTINGS_KEY: ...})``):
#: ``index_file``, the sidebar index the back-fill reads when a host keeps it elsewhere.
SETTINGS_KEY = "cron_projects"


@hookimpl
def hermes_sessions_stored_projects(context: SourceContext, migrate: bool) -> list[Any]:
    """``projects.json`` as stored, back-filled once per store when asked (S5.2)."""
    locations = context.locations
    file = ProjectsFile(locations.projects_file)
    if not migrate:
        return file.read_or_empty()
    index_file = context.setting(SETTINGS_KEY, "index_file", None)
    done = context.state.setdefault(f"{SETTINGS_KEY}.backfilled", set())
    if index_file:
        return load_projects_with_backfill(file, lambda: index_rows_at(Path(index_file)), done)
    return load_projects_with_backfill(file, lambda: index_rows_of(locations), done)


@hookimpl
def hermes_sessions_replace_projects(
    context: SourceContext, projects: Sequence[Mapping[str, Any]]
) -> bool:
    ProjectsFile(context.locations.projects_file).replace(list(projects))
    return True


@hookimpl
def hermes_sessions_ensure_cron_project(context: SourceContext, profile: str) -> str:
    return ensure_cron_project(context.locations, profile)
