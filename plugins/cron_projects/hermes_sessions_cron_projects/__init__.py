"""Projects and the per-profile ``Cron Jobs`` project (S5), as a built-in plugin.

``<state dir>/projects.json`` is read and changed atomically (:mod:`.projects_file`), untagged
projects are back-filled once (:mod:`.backfill`), the Cron Jobs project is found read-only and
created only on request (:mod:`.cron`), and projects belong to one profile each
(:mod:`.ownership`). This module holds only the hook implementation; the public functions for
the host's compatibility layer and the command line are re-exported here.
"""

from __future__ import annotations

# Start-up (issue 14): every process that builds a store imports this module, and many
# machines have no projects.json. It imports only the hook marker; each hook imports the
# readers and writers when it needs them (after a stat, for the read-only ones), and the
# public functions load on first use (``__getattr__`` below).
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.hookspecs import hookimpl
from hermes_sessions_core.lazy_names import names_on_first_use

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import Project, SourceContext, StoredSession

    from .backfill import StoredSessions as StoredSessions
    from .backfill import forget_backfills as forget_backfills
    from .backfill import load_projects_with_backfill as load_projects_with_backfill
    from .backfill import tag_untagged as tag_untagged
    from .cron import CRON_PROJECT_COLOR as CRON_PROJECT_COLOR
    from .cron import CRON_PROJECT_NAME as CRON_PROJECT_NAME
    from .cron import cron_project_id as cron_project_id
    from .cron import ensure_cron_project as ensure_cron_project
    from .cron import find_cron_project as find_cron_project
    from .cron import is_cron_session as is_cron_session
    from .errors import InvalidProjectId as InvalidProjectId
    from .errors import ProjectNotFound as ProjectNotFound
    from .errors import ProjectRefused as ProjectRefused
    from .errors import ProjectsFileUnreadable as ProjectsFileUnreadable
    from .ownership import check_session_move as check_session_move
    from .ownership import create_project as create_project
    from .ownership import delete_project as delete_project
    from .ownership import move_session as move_session
    from .ownership import projects_of_profile as projects_of_profile
    from .ownership import rename_project as rename_project
    from .projects_file import ProjectsFile as ProjectsFile
    from .projects_file import validate_project_id as validate_project_id

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

#: Where each name this package re-exports lives; imported on first use (PEP 562). Besides
#: ``__all__``, ``CronMemo``, which this module imported before it imported lazily.
_LAZY = {
    **dict.fromkeys(
        ("StoredSessions", "forget_backfills", "load_projects_with_backfill", "tag_untagged"),
        "backfill",
    ),
    **dict.fromkeys(
        (
            "CRON_PROJECT_COLOR", "CRON_PROJECT_NAME", "CronMemo", "cron_project_id",
            "ensure_cron_project", "find_cron_project", "is_cron_session",
        ),
        "cron",
    ),
    **dict.fromkeys(
        ("InvalidProjectId", "ProjectNotFound", "ProjectRefused", "ProjectsFileUnreadable"),
        "errors",
    ),
    **dict.fromkeys(
        (
            "check_session_move", "create_project", "delete_project", "move_session",
            "projects_of_profile", "rename_project",
        ),
        "ownership",
    ),
    **dict.fromkeys(("ProjectsFile", "validate_project_id"), "projects_file"),
}


__getattr__ = names_on_first_use(__name__, _LAZY, globals())


# No ``__dir__``: pluggy registers a plugin by reading every name ``dir()`` lists, which
# would import all of the above.

SOURCE_LABEL = "projects.json"


def _absent(path: str | os.PathLike[str]) -> bool:
    """Nothing at ``path`` (one ``stat``): a reader would find no file and list nothing."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False  # the reader meets (and handles) the same error
    return False


@hookimpl
def hermes_sessions_projects(context: SourceContext, profile: str) -> list[Project]:
    """``projects.json`` entries of ``profile``, read-only: listing never writes (S5.6)."""
    locations = context.locations
    if _absent(locations.projects_file):
        return []
    from hermes_sessions_core.hookspecs import Project
    from hermes_sessions_core.times import to_epoch

    from .ownership import projects_of_profile
    from .projects_file import ProjectsFile

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
    path = context.locations.projects_file
    if not migrate:
        if _absent(path):
            return []
        from .projects_file import ProjectsFile

        return ProjectsFile(path).read_or_empty()
    done = context.state.setdefault(f"{SETTINGS_KEY}.backfilled", set())
    if _absent(path):
        return []  # nothing to back-fill: load_projects_with_backfill's answer too
    from .backfill import load_projects_with_backfill
    from .projects_file import ProjectsFile

    webui_store = context.webui_store

    def stored_sessions() -> Sequence[StoredSession]:
        return webui_store.stored_sessions() if webui_store is not None else ()

    return load_projects_with_backfill(ProjectsFile(path), stored_sessions, done)


@hookimpl
def hermes_sessions_replace_projects(
    context: SourceContext, projects: Sequence[Mapping[str, Any]]
) -> bool:
    from .projects_file import ProjectsFile

    ProjectsFile(context.locations.projects_file).replace(list(projects))
    return True


@hookimpl
def hermes_sessions_ensure_cron_project(context: SourceContext, profile: str) -> str:
    from .cron import ensure_cron_project

    return ensure_cron_project(context.locations, profile)


@hookimpl
def hermes_sessions_cron_project_id(context: SourceContext, profile: str) -> str | None:
    """Looked up, never created (S5.6); remembered per store until ``projects.json`` changes,
    because every agent listing asks."""
    memo = context.state.get(_CRON_MEMO)
    if memo is None:
        if _absent(context.locations.projects_file):
            return None  # no file, no project: nothing to remember yet
        from .cron import CronMemo

        memo = context.state.setdefault(_CRON_MEMO, CronMemo())
    from .cron import cron_project_id

    return cron_project_id(context.locations, profile, memo)


#: Where a store's remembered Cron Jobs project ids live in its ``context.state``.
_CRON_MEMO = f"{SETTINGS_KEY}.cron_project_ids"
