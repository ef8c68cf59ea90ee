"""Finding chat files under the roots: ``<root>/<project>/chats/session-*.json[l]``.

Sub-agent chats live in ``chats/<parent sessionId>/<sessionId>.jsonl`` (the folder names the
parent); they are collected apart so they are linked to their parent and never listed as
sessions. ``logs.json`` and everything else beside ``chats/`` is not a session. Each file is
stat'ed exactly once per scan (``lstat``: symlinks are reported and never followed, FIFOs and
devices are never opened); problems are returned, never raised.
"""

from __future__ import annotations

import heapq
import os
import stat
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from hermes_sessions_core.models import Problem
from hermes_sessions_core.root_folders import resolve_root_folders

from .settings import SOURCE_NAME

__all__ = [
    "ChatFile", "SubagentFile", "Discovery", "discover", "chat_file_at", "resolve_roots",
    "PROJECT_ROOT_FILE",
]

_HOOK = "hermes_sessions_list_rows"
PREFIX = "session-"
PROJECT_ROOT_FILE = ".project_root"


class ChatFile(NamedTuple):
    """A main chat file and the stat taken during the scan (the cache key)."""

    path: str
    project_dir: str  # <root>/<project>
    mtime_ns: int
    size: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)

    @property
    def is_jsonl(self) -> bool:
        return self.path.endswith(".jsonl")

    @property
    def project(self) -> str:
        return os.path.basename(self.project_dir)


@dataclass(frozen=True, slots=True)
class SubagentFile:
    """A sub-agent chat: ``chats/<parent>/<agent sessionId>.jsonl``."""

    path: str
    parent: str  # the folder name: the parent's sessionId as Gemini wrote it
    agent_id: str
    mtime_ns: int
    size: int


@dataclass
class Discovery:
    chats: list[ChatFile] = field(default_factory=list)
    #: (project dir, parent folder name) → its sub-agent chats
    subagents: dict[tuple[str, str], list[SubagentFile]] = field(default_factory=dict)
    #: project dir → (path, mtime_ns, size) of its ``.project_root``
    project_roots: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)

    def paths(self) -> set[str]:
        return {chat.path for chat in self.chats}

    def most_recent(self, limit: int) -> list[ChatFile]:
        """The ``limit`` most recently modified chats across every project."""
        chats = self.chats
        if limit < len(chats):
            cut = heapq.nlargest(limit, [c.mtime_ns for c in chats])[-1] if limit > 0 else None
            chats = [c for c in chats if cut is not None and c.mtime_ns >= cut]
        return sorted(chats, key=lambda c: (-c.mtime_ns, c.path))[:limit]


def _problem(kind: str, message: str, path: str) -> Problem:
    return Problem(source=SOURCE_NAME, hook=_HOOK, error_type=kind, message=message, path=path)


def _from_error(error: OSError, path: str, what: str) -> Problem:
    reason = error.strerror or str(error) or type(error).__name__
    return _problem(type(error).__name__, f"{what} skipped: {reason}", path)


def resolve_roots(roots: Iterable[str | os.PathLike[str]], problems: list[Problem]) -> list[str]:
    """Existing, non-symlinked roots, resolved and each read once."""
    return resolve_root_folders(
        roots, problems, source=SOURCE_NAME, hook=_HOOK, what="Gemini CLI root"
    )


def discover(roots: Iterable[str | os.PathLike[str]], *, subagents: bool = True) -> Discovery:
    """Scan every root: main chats with their stat, sub-agent chats, ``.project_root`` files."""
    found = Discovery()
    found.roots = resolve_roots(roots, found.problems)
    for root in found.roots:
        try:
            entries = list(os.scandir(root))
        except OSError as error:
            found.problems.append(_from_error(error, root, "unreadable Gemini CLI root"))
            continue
        for entry in entries:
            if entry.is_symlink():
                found.problems.append(
                    _problem("SymlinkSkipped", "symlinked project folder not followed", entry.path)
                )
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                _scan_project(entry.path, found, subagents)
    return found


def chat_file_at(path: str) -> ChatFile | None:
    """Re-stat a known chat path; None if it is gone, a symlink or not a regular file."""
    try:
        info = os.lstat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    project_dir = os.path.dirname(os.path.dirname(path))
    return ChatFile(path, project_dir, info.st_mtime_ns, info.st_size)


def _scan_project(project_dir: str, found: Discovery, subagents: bool) -> None:
    marker = os.path.join(project_dir, PROJECT_ROOT_FILE)
    try:
        info = os.lstat(marker)
        if stat.S_ISREG(info.st_mode):
            found.project_roots[project_dir] = (marker, info.st_mtime_ns, info.st_size)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as error:
        found.problems.append(_from_error(error, marker, "unreadable .project_root"))
    chats = os.path.join(project_dir, "chats")
    try:
        entries = list(os.scandir(chats))
    except (FileNotFoundError, NotADirectoryError):
        return  # a project folder with only logs.json or checkpoints
    except OSError as error:
        found.problems.append(_from_error(error, chats, "unreadable chats folder"))
        return
    for entry in entries:
        name = entry.name
        if not name.startswith(PREFIX):
            if subagents and entry.is_dir(follow_symlinks=False):
                _scan_subagents(project_dir, entry.path, name, found)
            continue
        if not name.endswith((".json", ".jsonl")):
            continue
        try:
            info = entry.stat(follow_symlinks=False)  # the one stat of this scan
        except FileNotFoundError:
            found.problems.append(_problem("FileVanished", "chat vanished during the scan",
                                           entry.path))
            continue
        except OSError as error:
            found.problems.append(_from_error(error, entry.path, "unreadable chat"))
            continue
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISLNK(info.st_mode):
                found.problems.append(
                    _problem("SymlinkSkipped", "symlinked chat not followed", entry.path))
            continue  # a FIFO, socket or device is never a chat, nor opened
        found.chats.append(ChatFile(entry.path, project_dir, info.st_mtime_ns, info.st_size))


def _scan_subagents(project_dir: str, folder: str, parent: str, found: Discovery) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    files: list[SubagentFile] = []
    for entry in entries:
        if not entry.name.endswith(".jsonl") or entry.is_symlink():
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            files.append(SubagentFile(entry.path, parent, entry.name[: -len(".jsonl")],
                                      info.st_mtime_ns, info.st_size))
    if files:
        files.sort(key=lambda f: f.agent_id)
        found.subagents[(project_dir, parent)] = files
