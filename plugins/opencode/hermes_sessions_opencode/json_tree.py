"""Reading OpenCode's legacy JSON tree (``storage/``, OpenCode up to 1.1.x).

Layout: ``session/<projectID>/<sessionID>.json``, ``message/<sessionID>/<messageID>.json``,
``part/<messageID>/<partID>.json``. As OpenCode's own migration does, the file and folder
names are trusted over the ids inside. Folders are listed with ``scandir`` and each file is
stat'ed once; nothing is followed through a symlink, a FIFO or socket is never opened (see
:func:`~hermes_sessions_core.regular_files.read_regular`), and a file over the size cap is
skipped as a problem instead of being decoded.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Any, Mapping

import orjson

from hermes_sessions_core.regular_files import read_regular

from .records import (
    MessageRecord,
    SessionRecord,
    as_mapping,
    as_millis,
    as_number,
    as_text,
    message_from_info,
)

__all__ = [
    "STORAGE",
    "LegacySessionFile",
    "DamagedFile",
    "scan_sessions",
    "find_session_file",
    "read_session_file",
    "read_legacy_messages",
    "read_legacy_parts",
    "message_folder_key",
]

STORAGE = "storage"
_SUFFIX = ".json"


class DamagedFile(ValueError):
    """A legacy file that is not a JSON object (cut off, bad bytes, nested too deep)."""


@dataclass(frozen=True, slots=True)
class LegacySessionFile:
    """A session file found by the scan, with the stat taken then (its cache key)."""

    path: str
    native_id: str
    mtime_ns: int
    size: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []


def scan_sessions(root: str) -> tuple[list[LegacySessionFile], list[tuple[str, str]]]:
    """Every ``storage/session/<project>/<id>.json`` under the data folder ``root``, and the
    skipped entries as ``(path, reason)`` (symlinks, special files, unreadable folders)."""
    found: list[LegacySessionFile] = []
    skipped: list[tuple[str, str]] = []
    base = os.path.join(root, STORAGE, "session")
    try:
        projects = list(os.scandir(base))
    except (FileNotFoundError, NotADirectoryError):
        return found, skipped
    except OSError as error:
        return found, [(base, f"unreadable folder: {error.strerror or error}")]
    for project in projects:
        if project.is_symlink():
            skipped.append((project.path, "symlinked project folder not followed"))
            continue
        if not project.is_dir(follow_symlinks=False):
            continue
        try:
            entries = list(os.scandir(project.path))
        except OSError as error:
            skipped.append((project.path, f"unreadable folder: {error.strerror or error}"))
            continue
        for entry in entries:
            name = entry.name
            if not name.endswith(_SUFFIX) or name.startswith("."):
                continue
            try:
                found_stat = entry.stat(follow_symlinks=False)
            except OSError as error:
                skipped.append((entry.path, f"cannot be examined: {error.strerror or error}"))
                continue
            if not stat.S_ISREG(found_stat.st_mode):
                kind = "symlink" if stat.S_ISLNK(found_stat.st_mode) else "special file"
                skipped.append((entry.path, f"{kind} where a session file belongs; not read"))
                continue
            found.append(LegacySessionFile(entry.path, name[: -len(_SUFFIX)],
                                           found_stat.st_mtime_ns, found_stat.st_size))
    return found, skipped


def find_session_file(root: str, native_id: str) -> LegacySessionFile | None:
    """The session file of ``native_id`` in any project folder, or None."""
    base = os.path.join(root, STORAGE, "session")
    for project in _entries(base):
        if project.is_symlink() or not project.is_dir(follow_symlinks=False):
            continue
        path = os.path.join(project.path, native_id + _SUFFIX)
        try:
            found = os.lstat(path)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(found.st_mode):
            return LegacySessionFile(path, native_id, found.st_mtime_ns, found.st_size)
    return None


def _load_object(path: str, max_bytes: int) -> Mapping[str, Any]:
    """The JSON object in ``path``; raises OSError or :class:`DamagedFile`."""
    data = read_regular(path, max_bytes)
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise DamagedFile(f"{path} is not valid JSON ({error}); skipped") from None
    if not isinstance(value, dict):
        raise DamagedFile(f"{path} holds {type(value).__name__}, not a JSON object; skipped")
    return value


def _project_worktree(root: str, project_id: str | None, max_bytes: int) -> str | None:
    """``storage/project/<projectID>.json``'s ``worktree`` (``/`` for the global project
    says nothing), or None."""
    if not project_id or "/" in project_id or project_id.startswith("."):
        return None
    try:
        project = _load_object(os.path.join(root, STORAGE, "project", project_id + _SUFFIX),
                               max_bytes)
    except (OSError, DamagedFile, ValueError):
        return None
    worktree = as_text(project.get("worktree"), 4096)
    return worktree if worktree and worktree != "/" else None


def read_session_file(file: LegacySessionFile, max_bytes: int, title_chars: int) -> SessionRecord:
    """The session record of a legacy file (its directory, else its project's worktree);
    raises OSError or :class:`DamagedFile`."""
    info = _load_object(file.path, max_bytes)
    project_id = as_text(info.get("projectID"), 200)
    directory = as_text(info.get("directory"), 4096) or _project_worktree(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(file.path)))),
        project_id, max_bytes)
    times = as_mapping(info.get("time"))
    revert = as_mapping(info.get("revert"))
    return SessionRecord(
        native_id=file.native_id,
        parent_id=as_text(info.get("parentID"), 200) or None,
        title=as_text(info.get("title"), title_chars),
        directory=directory or None,
        project_id=project_id,
        version=as_text(info.get("version"), 64),
        created_at=as_millis(times.get("created")),
        updated_at=as_millis(times.get("updated")),
        archived_at=as_millis(times.get("archived")),
        revert_message_id=as_text(revert.get("messageID"), 200),
        recorded_cost=as_number(info.get("cost")),
        storage="json",
        path=file.path,
    )


def message_folder_key(root: str, native_id: str) -> int:
    """The ``mtime_ns`` of the session's message folder (0 when absent): it changes when a
    message is added or removed, which a cached summary depends on."""
    try:
        return os.lstat(os.path.join(root, STORAGE, "message", native_id)).st_mtime_ns
    except (OSError, ValueError):
        return 0


def _json_files(folder: str) -> list[tuple[str, str]]:
    """``(stem, path)`` of the regular ``*.json`` files in ``folder``, sorted by name."""
    files = []
    for entry in _entries(folder):
        # The directory entry's type, no stat: a FIFO or symlink is never a file here (and
        # read_regular checks again on the open descriptor).
        if not entry.name.endswith(_SUFFIX) or not entry.is_file(follow_symlinks=False):
            continue
        files.append((entry.name[: -len(_SUFFIX)], entry.path))
    files.sort()
    return files


def read_legacy_parts(
    root: str, message_id: str, max_bytes: int
) -> tuple[tuple[Mapping[str, Any], ...], int]:
    """One message's parts in id order, and how many part files were skipped as damaged."""
    damaged = 0
    loaded = []
    for part_id, part_path in _json_files(os.path.join(root, STORAGE, "part", message_id)):
        try:
            loaded.append({**_load_object(part_path, max_bytes), "id": part_id})
        except (OSError, DamagedFile):
            damaged += 1
    return tuple(loaded), damaged


def read_legacy_messages(
    root: str, native_id: str, *, with_parts: bool, max_bytes: int
) -> tuple[list[MessageRecord], int]:
    """The session's messages in OpenCode's order (time created, then id), with their parts
    when ``with_parts``; also how many files were skipped as damaged."""
    damaged = 0
    messages: list[MessageRecord] = []
    for stem, path in _json_files(os.path.join(root, STORAGE, "message", native_id)):
        try:
            info = _load_object(path, max_bytes)
        except (OSError, DamagedFile):
            damaged += 1
            continue
        parts: tuple[Mapping[str, Any], ...] | None = None
        if with_parts:
            parts, bad = read_legacy_parts(root, stem, max_bytes)
            damaged += bad
        messages.append(message_from_info(stem, info, parts))
    messages.sort(key=lambda message: (message.created_at or 0.0, message.native_id))
    return messages, damaged
