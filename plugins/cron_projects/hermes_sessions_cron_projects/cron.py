"""The per-profile ``Cron Jobs`` project (S5.4-S5.6).

Looking the project up never writes (listing must not create it, #5379, S8.20); only
:func:`ensure_cron_project` does, under the file's thread and process locks, so concurrent
callers in any process get one project per profile.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from hermes_sessions_core.locations import Locations, validate_profile_name
from hermes_sessions_core.models import is_cron_session

from .projects_file import ProjectsFile, stamp_of

__all__ = [
    "CRON_PROJECT_COLOR",
    "CRON_PROJECT_NAME",
    "CronMemo",
    "cron_project_id",
    "ensure_cron_project",
    "find_cron_project",
    "is_cron_session",
]

CRON_PROJECT_NAME = "Cron Jobs"
CRON_PROJECT_COLOR = "#6366f1"


def find_cron_project(
    projects: list[Any], profile: str, locations: Locations
) -> dict[str, Any] | None:
    """The tagged ``Cron Jobs`` project of ``profile`` (or of its root alias), else None."""
    for project in projects:
        if not isinstance(project, dict) or project.get("name") != CRON_PROJECT_NAME:
            continue
        if not project.get("profile") or not project.get("project_id"):
            continue
        if locations.profiles_match(project.get("profile"), profile):
            return project
    return None


class CronMemo:
    """One store's remembered Cron Jobs project ids, each with the stamp of the file it was
    read from, and where that file is for the store's (frozen) locations."""

    __slots__ = ("_where", "answers")

    def __init__(self) -> None:
        self._where: tuple[Locations, str] | None = None
        self.answers: dict[tuple[str, str], tuple[tuple[int, int, int], str | None]] = {}

    def path_for(self, locations: Locations) -> str:
        """``locations.projects_file`` as a string, worked out once per locations object."""
        where = self._where
        if where is None or where[0] is not locations:
            where = self._where = (locations, os.fspath(locations.projects_file))
        return where[1]


_MEMO_KEYS = 64


def cron_project_id(
    locations: Locations, profile: str, memo: CronMemo | None = None
) -> str | None:
    """The profile's Cron Jobs project id, read-only; None if it does not exist yet (S5.6).

    With ``memo`` (a store's, kept in its ``context.state``) an answer is reused while the
    file's stamp is unchanged: every agent listing asks, and a warm listing must stay one
    ``stat`` away from its cache.
    """
    if memo is None:
        return _lookup(ProjectsFile(locations.projects_file).read_or_empty(), profile, locations)
    path = memo.path_for(locations)
    stamp = stamp_of(path)
    if stamp is None:
        return None  # missing (or out of sight): no project to find
    remembered = memo.answers.get((path, profile))
    if remembered is not None and remembered[0] == stamp:
        return remembered[1]
    answer = _lookup(ProjectsFile(path).read_or_empty(), profile, locations)
    if stamp_of(path) == stamp:  # unchanged while it was read: safe to reuse
        if len(memo.answers) >= _MEMO_KEYS:
            memo.answers.clear()  # bounded: a store asks for a handful of profiles
        memo.answers[(path, profile)] = (stamp, answer)
    return answer


def _lookup(projects: list[Any], profile: str, locations: Locations) -> str | None:
    """The Cron Jobs project id of ``profile`` in ``projects``, else None."""
    found = find_cron_project(projects, profile, locations)
    if found is not None:
        return str(found["project_id"])
    for project in projects:  # a legacy untagged one counts as default's until claimed
        if (isinstance(project, dict) and project.get("name") == CRON_PROJECT_NAME
                and not project.get("profile") and project.get("project_id")
                and locations.is_root_profile(profile)):
            return str(project["project_id"])
    return None


def ensure_cron_project(locations: Locations, profile: str) -> str:
    """Return the profile's Cron Jobs project id, creating it once (S5.4). Idempotent.

    A tagged project of the profile (or, for ``default`` and a renamed root, of either) is
    reused; else a legacy untagged ``Cron Jobs`` goes to this first asker; else a new project
    is added. Raises ProjectsFileUnreadable instead of replacing an unreadable file (S8.8).
    """
    validate_profile_name(profile)
    chosen: list[str] = []

    def change(projects: list[Any]) -> list[Any] | None:
        found = find_cron_project(projects, profile, locations)
        if found is not None:
            chosen.append(str(found["project_id"]))
            return None
        for project in projects:
            if (isinstance(project, dict) and project.get("name") == CRON_PROJECT_NAME
                    and not project.get("profile") and project.get("project_id")):
                project["profile"] = profile
                chosen.append(str(project["project_id"]))
                return projects
        project_id = uuid.uuid4().hex[:12]
        projects.append({
            "project_id": project_id,
            "name": CRON_PROJECT_NAME,
            "color": CRON_PROJECT_COLOR,
            "profile": profile,
            "created_at": time.time(),
        })
        chosen.append(project_id)
        return projects

    ProjectsFile(locations.projects_file).update(change)
    return chosen[-1]
