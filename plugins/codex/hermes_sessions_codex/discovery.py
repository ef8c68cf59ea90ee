"""Finding rollouts under Codex homes, one stat per file (S4.18 by analogy).

Live threads are ``<home>/sessions/YYYY/MM/DD/rollout-*.jsonl``; archived ones are in
``<home>/archived_sessions/`` (flat, or dated the same way). Nothing is followed through a
symlink, anything but a regular file (a FIFO, a socket) is never opened, and problems are
returned, never raised.
"""

from __future__ import annotations

import heapq
import os
import stat
from dataclasses import dataclass, field
from stat import S_ISLNK, S_ISREG
from typing import Iterable, NamedTuple

from hermes_sessions_core.models import Problem

from .ids import thread_id_in_name
from .settings import SOURCE_NAME

__all__ = ["RolloutFile", "Discovery", "discover", "rollout_file_at"]

_HOOK = "hermes_sessions_list_rows"


class RolloutFile(NamedTuple):
    """A rollout with the stat taken during the scan (the cache key)."""

    path: str
    thread_id: str
    archived: bool
    mtime_ns: int
    size: int
    inode: int = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)


@dataclass
class Discovery:
    files: list[RolloutFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)

    def most_recent(self, limit: int) -> list[RolloutFile]:
        """The ``limit`` most recently modified rollouts, never chosen by name (S8.12)."""
        files = self.files
        if limit < len(files):
            # The limit-th newest mtime, found on bare ints, leaves few files to sort.
            cut = heapq.nlargest(limit, [f.mtime_ns for f in files])[-1] if limit > 0 else None
            files = [f for f in files if cut is not None and f.mtime_ns >= cut]
        return sorted(files, key=lambda f: (-f.mtime_ns, f.path))[:limit]


def _problem(kind: str, message: str, path: str) -> Problem:
    return Problem(source=SOURCE_NAME, hook=_HOOK, error_type=kind, message=message, path=path)


def _folders(path: str, found: Discovery, what: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except FileNotFoundError:
        return []
    except OSError as error:
        reason = error.strerror or type(error).__name__
        found.problems.append(_problem(type(error).__name__, f"{what} skipped: {reason}", path))
        return []


def _add_file(entry: os.DirEntry[str], archived: bool, found: Discovery) -> None:
    thread_id = thread_id_in_name(entry.name)
    if thread_id is None:
        return
    try:
        info = entry.stat(follow_symlinks=False)  # the one stat of this scan
    except OSError:
        return  # vanished during the scan
    mode = info.st_mode
    if not S_ISREG(mode):
        if S_ISLNK(mode):
            found.problems.append(_problem("SymlinkSkipped", "symlinked rollout not followed",
                                           entry.path))
        return  # a FIFO, socket or device is never a rollout, nor opened
    found.files.append(RolloutFile(entry.path, thread_id, archived, info.st_mtime_ns,
                                   info.st_size, info.st_ino))


def _walk_dated(folder: str, archived: bool, found: Discovery, depth: int = 0) -> None:
    """``YYYY/MM/DD/`` below ``folder``; rollouts at the day level (or flat when archived)."""
    for entry in _folders(folder, found, "unreadable rollout folder"):
        name = entry.name
        if name.endswith(".jsonl"):
            if depth == 3 or (archived and depth == 0):
                _add_file(entry, archived, found)
            continue
        if depth >= 3 or not name.isdigit():
            continue
        if entry.is_symlink():
            found.problems.append(_problem("SymlinkSkipped", "symlinked folder not followed",
                                           entry.path))
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk_dated(entry.path, archived, found, depth + 1)


def _resolve_home(home: str, found: Discovery) -> str | None:
    try:
        mode = os.lstat(home).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None  # Codex not installed here: nothing to report
    except (OSError, ValueError) as error:
        found.problems.append(_problem(type(error).__name__,
                                       f"Codex home cannot be examined: {error}", home))
        return None
    if stat.S_ISLNK(mode):
        # ~/.codex as a symlink to a dotfiles folder is common; the home itself is followed,
        # nothing inside it is.
        resolved = os.path.realpath(home)
        return resolved if os.path.isdir(resolved) else None
    return os.path.realpath(home) if stat.S_ISDIR(mode) else None


def discover(homes: Iterable[str | os.PathLike[str]]) -> Discovery:
    """Every rollout under the homes, with its stat; problems for what could not be read."""
    found = Discovery()
    for home in homes:
        resolved = _resolve_home(os.path.expanduser(os.fspath(home)), found)
        if resolved is None or resolved in found.roots:
            continue
        found.roots.append(resolved)
        for folder, archived in (("sessions", False), ("archived_sessions", True)):
            path = os.path.join(resolved, folder)
            if os.path.islink(path):
                found.problems.append(_problem("SymlinkSkipped",
                                               "symlinked rollout folder not followed", path))
                continue
            _walk_dated(path, archived, found)
    return found


def rollout_file_at(path: str, archived: bool) -> RolloutFile | None:
    """Re-stat a known rollout path; None when it is gone, a symlink or not a regular file."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    thread_id = thread_id_in_name(os.path.basename(path))
    if thread_id is None or not stat.S_ISREG(info.st_mode):
        return None
    return RolloutFile(path, thread_id, archived, info.st_mtime_ns, info.st_size, info.st_ino)
