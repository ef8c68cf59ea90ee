"""The profile's ``Cron Jobs`` project id, read-only (S5.6).

Listing never creates the project or writes ``projects.json`` (#5379, S8.20); when the project
does not exist yet, cron rows simply carry no project.
"""

from __future__ import annotations

import json

from hermes_sessions_core.locations import Locations

from .side_files import read_side_file

__all__ = ["CRON_PROJECT_NAME", "cron_project_id"]

CRON_PROJECT_NAME = "Cron Jobs"


def cron_project_id(locations: Locations, profile: str) -> str | None:
    """The id of the project named exactly ``Cron Jobs`` for ``profile``, else None."""
    try:
        projects = json.loads(read_side_file(locations.projects_file).decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(projects, list):
        return None
    for project in projects:
        if not isinstance(project, dict) or project.get("name") != CRON_PROJECT_NAME:
            continue
        if locations.profiles_match(project.get("profile"), profile) and project.get("project_id"):
            return str(project["project_id"])
    return None
