"""Errors of the projects plugin: each names the file or project and what to do."""

from __future__ import annotations

from hermes_sessions_core.errors import HermesSessionsError, InvalidProjectId, StorageError

__all__ = [
    "InvalidProjectId",
    "ProjectNotFound",
    "ProjectRefused",
    "ProjectsFileUnreadable",
]


class ProjectsFileUnreadable(StorageError):
    """``projects.json`` exists but does not parse; writers refuse to replace it (S5.1, S8.8)."""

    def __init__(self, path: str, cause: str) -> None:
        self.cause = cause
        super().__init__(
            f"projects file {path} does not parse ({cause}); nothing was written, so no "
            "project is lost. Repair or move the file aside, then retry.",
            path=path,
        )


class ProjectNotFound(HermesSessionsError, KeyError):
    """No project in ``projects.json`` has this id."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        super().__init__(project_id)

    def __str__(self) -> str:
        return f"project {self.project_id!r} not found in projects.json"


class ProjectRefused(HermesSessionsError, PermissionError):
    """Another profile's project cannot be renamed, deleted or receive sessions (S5.3)."""

    def __init__(self, project_id: str, owner: str, profile: str, action: str) -> None:
        self.project_id = project_id
        self.owner = owner
        self.profile = profile
        super().__init__(
            f"cannot {action} project {project_id!r}: it belongs to profile {owner!r}, not "
            f"{profile!r}. Switch to profile {owner!r} to change it."
        )
