"""Typed errors: each names the culprit (session, path, plugin) and what to do about it."""

from __future__ import annotations

__all__ = [
    "HermesSessionsError",
    "InvalidSessionId",
    "SessionNotFound",
    "SessionUnreadable",
    "ReadOnlySessionError",
    "PartialSessionSaveError",
    "InvalidProfileName",
    "StorageError",
    "MissingDependencyError",
    "SessionConflict",
]


class HermesSessionsError(Exception):
    """Base class of every error this library raises on purpose."""


def _shortened(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class InvalidSessionId(HermesSessionsError, ValueError):
    """A write named an id that breaks S1.2; nothing was touched."""

    def __init__(self, session_id: object) -> None:
        self.session_id = session_id
        super().__init__(
            f"invalid session id {_shortened(session_id)}: ids use only 0-9, a-z, '_' and '-', "
            "are 1 to 200 characters long and do not start with '_'"
        )


class SessionNotFound(HermesSessionsError, KeyError):
    """No source holds this id (a malformed id is also "not found", S1.3).

    A ``KeyError`` too, because the original module raised ``KeyError(sid)``.
    """

    def __init__(self, session_id: object) -> None:
        self.session_id = session_id
        super().__init__(session_id)

    def __str__(self) -> str:
        return f"session {self.session_id!r} not found"


class SessionUnreadable(HermesSessionsError):
    """The session's file exists but does not parse; its bytes are left as they are."""

    def __init__(self, session_id: str, path: str, cause: str) -> None:
        self.session_id = session_id
        self.path = path
        self.cause = cause
        super().__init__(
            f"session {session_id!r} is unreadable ({path}): {cause}. "
            "The file was left untouched; `hermes-sessions doctor` reports such files."
        )


class ReadOnlySessionError(HermesSessionsError, PermissionError):
    """A read-only session (another agent's transcript) cannot be changed (S1.17)."""

    def __init__(self, session_id: str, source: str, action: str = "save") -> None:
        self.session_id = session_id
        self.source = source
        super().__init__(
            f"cannot {action} session {session_id!r}: it belongs to the read-only source "
            f"{source!r}. Import a copy to continue it."
        )


class PartialSessionSaveError(HermesSessionsError, RuntimeError):
    """Saving a partially loaded session would wipe its transcript (#1558, S2.15)."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__(
            f"refusing to save session {session_id!r}: it was loaded partially "
            "(metadata-only), so saving it would overwrite the stored messages. "
            "Reload it in full (metadata_only=False) before changing it."
        )


class InvalidProfileName(HermesSessionsError, ValueError):
    """A profile name breaks S7.2 or escapes ``<base>/profiles`` (S7.3)."""

    def __init__(self, name: object, reason: str = "") -> None:
        self.name = name
        detail = f": {reason}" if reason else ""
        super().__init__(
            f"invalid profile name {name!r}{detail}; names match [a-z0-9][a-z0-9_-]{{0,63}}"
        )


class StorageError(HermesSessionsError, OSError):
    """A storage operation failed; the previous state on storage is intact."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class SessionConflict(HermesSessionsError):
    """Another writer changed the session since this copy was loaded, in a way that cannot be
    merged (a clear, truncate, retry or undo against changed messages, or a deletion).

    Nothing was written and the copy in memory is as it was: reload the session
    (``store.forget(id)`` then ``store.get(id)``), apply the change again and save.
    """

    def __init__(
        self,
        session_id: str,
        reason: str,
        *,
        loaded_version: object = None,
        current_version: object = None,
    ) -> None:
        self.session_id = session_id
        self.reason = reason
        self.loaded_version = loaded_version
        self.current_version = current_version
        super().__init__(
            f"session {session_id!r} was changed by another writer since this copy was loaded "
            f"(loaded version {loaded_version!r}, stored version {current_version!r}): {reason}. "
            "Nothing was saved; reload the session and apply the change again."
        )


class MissingDependencyError(HermesSessionsError, ImportError):
    """An optional backend needs an extra that is not installed."""

    def __init__(self, what: str, extra: str, module: str) -> None:
        self.extra = extra
        super().__init__(
            f"{what} needs the optional package {module!r}: "
            f"pip install 'hermes-sessions[{extra}]'"
        )


class InvalidProjectId(HermesSessionsError, ValueError):
    """A write named a project id that is not 1-64 characters of ``A-Za-z0-9_-``."""

    def __init__(self, project_id: object) -> None:
        self.project_id = project_id
        super().__init__(
            f"invalid project id {project_id!r}: project ids are 1-64 characters of "
            "A-Z, a-z, 0-9, '_' and '-'"
        )
