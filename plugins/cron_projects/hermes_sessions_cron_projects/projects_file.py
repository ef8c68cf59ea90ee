"""``<state dir>/projects.json``: read, and changed atomically under a thread and process lock.

Writers read the current file under the lock, apply their change and replace the file with a
temp file in the same folder (fsync, ``os.replace``, fsync of the folder, S2.3). A file that
does not parse makes every writer fail with :class:`ProjectsFileUnreadable`: it is never
replaced by a shorter list (S5.1, S8.8). Readers that must not fail use :meth:`read_or_empty`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.atomic import write_file_atomically
from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.models import validate_project_id
from hermes_sessions_core.regular_files import NotARegularFile, read_regular

from .errors import ProjectsFileUnreadable

if TYPE_CHECKING:
    from filelock import FileLock

__all__ = [
    "LOCK_TIMEOUT", "ProjectsFile", "encode_projects", "stamp_of", "validate_project_id",
]

#: Seconds a writer waits for another process holding ``projects.json.lock``.
LOCK_TIMEOUT = 30.0

_thread_locks: dict[str, threading.RLock] = {}
_thread_locks_guard = threading.Lock()

Change = Callable[[list[Any]], "list[Any] | None"]


def encode_projects(projects: list[Any]) -> bytes:
    """The bytes the Web UI writes: UTF-8 JSON, non-ASCII as is, indent 2."""
    return json.dumps(projects, ensure_ascii=False, indent=2).encode("utf-8")


def _checked(projects: object) -> list[Any]:
    if not isinstance(projects, list):
        raise TypeError(f"projects must be a list of objects, not {type(projects).__name__}")
    for project in projects:
        if not isinstance(project, dict):
            raise TypeError(f"each project must be an object, not {type(project).__name__}")
        validate_project_id(project.get("project_id"))
    return projects


def stamp_of(path: str | os.PathLike[str]) -> tuple[int, int, int] | None:
    """What changes whenever the file at ``path`` does (inode, size, mtime), ``None`` when it
    cannot be seen: one ``stat``, for readers that remember what they read."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def _thread_lock(key: str) -> threading.RLock:
    with _thread_locks_guard:
        lock = _thread_locks.get(key)
        if lock is None:
            lock = _thread_locks[key] = threading.RLock()
        return lock


class ProjectsFile:
    """One ``projects.json``. Cheap to build; creates nothing until the first write."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    # ── reading ──────────────────────────────────────────────────────────────────────────

    def stamp(self) -> tuple[int, int, int] | None:
        """:func:`stamp_of` this file."""
        return stamp_of(self.path)

    def read(self) -> list[Any] | None:
        """The stored list, ``None`` when the file is missing; raises ProjectsFileUnreadable.

        Opened without blocking: a FIFO or folder in its place is unreadable, never waited on
        (the agent listing asks for the Cron Jobs project on every call, issue 13).
        """
        try:
            data = read_regular(self.path, follow_symlinks=True)
        except FileNotFoundError:
            return None
        except NotARegularFile as error:
            raise ProjectsFileUnreadable(str(self.path), "it is not a regular file") from error
        except OSError as error:
            raise StorageError(f"cannot read {self.path}: {error}", path=str(self.path)) from error
        try:
            projects = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ProjectsFileUnreadable(str(self.path), str(error)) from error
        if not isinstance(projects, list):
            raise ProjectsFileUnreadable(
                str(self.path), f"top level is {type(projects).__name__}, expected a list"
            )
        return projects

    def read_or_empty(self) -> list[Any]:
        """For readers: a missing or unreadable file lists as ``[]`` (the original's reading)."""
        try:
            return self.read() or []
        except (ProjectsFileUnreadable, StorageError):
            return []

    # ── writing ──────────────────────────────────────────────────────────────────────────

    def update(self, change: Change) -> list[Any]:
        """Apply ``change`` to the current list under the locks; write only if it returns a list.

        ``change`` receives the stored list (``[]`` if the file is missing) and returns the
        new list, or ``None`` to leave the file untouched (its mtime too). Returns the list
        now stored. Raises ProjectsFileUnreadable when the file does not parse.
        """
        with self.locked():
            current = self.read()
            updated = change(list(current or []))
            if updated is None:
                return list(current or [])
            if not isinstance(updated, list):
                raise TypeError(
                    f"a projects change must return a list, not {type(updated).__name__}"
                )
            self._write(updated)
            return updated

    def replace(self, projects: list[Any]) -> None:
        """Store ``projects`` as the whole list (the original's ``save_projects``)."""
        _checked(projects)
        self.update(lambda _current: projects)

    def locked(self) -> _Locked:
        """Hold this file's thread lock, then its process lock (``projects.json.lock``)."""
        return _Locked(self)

    def _write(self, projects: list[Any]) -> None:
        payload = encode_projects(projects)
        try:
            write_file_atomically(self.path, payload)
        except OSError as error:
            raise StorageError(
                f"could not write {self.path}: {error}", path=str(self.path)
            ) from error


class _Locked:
    """Context manager: thread lock for this path, then the cross-process file lock."""

    def __init__(self, file: ProjectsFile) -> None:
        self._file = file
        self._thread_lock = _thread_lock(str(file.path))
        self._file_lock: FileLock | None = None

    def __enter__(self) -> None:
        # filelock (and the asyncio it imports) loads at the first write, not with the plugin.
        from filelock import FileLock, Timeout

        self._thread_lock.acquire()
        try:
            self._file.path.parent.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(str(self._file.lock_path), timeout=LOCK_TIMEOUT)
            self._file_lock.acquire()
        except Timeout as error:
            self._thread_lock.release()
            raise StorageError(
                f"another process holds {self._file.lock_path} for over {LOCK_TIMEOUT:g} s; "
                "if no Hermes process is running, delete that file and retry",
                path=str(self._file.lock_path),
            ) from error
        except OSError as error:
            self._thread_lock.release()
            raise StorageError(
                f"cannot lock {self._file.path}: {error}", path=str(self._file.path)
            ) from error

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self._file_lock is not None:
                self._file_lock.release()
        finally:
            self._thread_lock.release()
