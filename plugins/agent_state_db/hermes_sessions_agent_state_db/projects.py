"""The profile's ``Cron Jobs`` project id, as the projects keeper answers it (S5.6, STYLE 11).

The projects file belongs to the plugin that keeps projects: this source never opens it, it
asks through ``context.projects``. Asking never creates the project (#5379, S8.20); while it
does not exist, or when no plugin keeps projects, cron rows simply carry no project.
"""

from __future__ import annotations

from hermes_sessions_core.hookspecs import ProjectFacts

__all__ = ["cron_project_id"]


def cron_project_id(projects: ProjectFacts | None, profile: str) -> str | None:
    """The id of ``profile``'s Cron Jobs project, else None (no keeper, or no project yet)."""
    return projects.cron_project_id(profile) if projects is not None else None
