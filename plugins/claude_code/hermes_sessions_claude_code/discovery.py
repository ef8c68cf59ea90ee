"""Finding transcripts under the projects roots (S4.1, S4.2, S4.15).

A session is ``<root>/<project>/<name>.jsonl``, one level deep. Subagent files (``agent-*``
beside the session, or ``<session>/subagents/``) are collected apart so they can be linked to
their parent and are never rows of their own (S8.22). Nothing is followed through a symlink,
folder names are never decoded, and every file is stat'ed exactly once per scan. Problems
(unreadable folders, skipped symlinks, races) are returned, never raised (S4.19).
"""

from __future__ import annotations

import heapq
import os
import stat as stat_module
from dataclasses import dataclass, field
from stat import S_ISLNK, S_ISREG
from typing import Iterable, NamedTuple

from hermes_sessions_core.models import Problem
from hermes_sessions_core.root_folders import resolve_root_folders

from .settings import SOURCE_NAME

__all__ = [
    "TranscriptFile", "SubagentFile", "Discovery", "discover", "scan_project", "subagents_folder",
    "transcript_file_at",
]

_HOOK = "hermes_sessions_list_rows"
SUFFIX = ".jsonl"


class TranscriptFile(NamedTuple):
    """A candidate session file with the stat taken during the scan (the cache key, S4.18).

    A named tuple rather than a frozen dataclass: one is built per file on every scan, warm
    ones included, and a tuple is built three times faster; it is just as immutable."""

    path: str  # resolved: resolved root + plain names, no symlink on the way
    project_dir: str
    stem: str
    mtime_ns: int
    size: int
    inode: int = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)


@dataclass(frozen=True, slots=True)
class SubagentFile:
    """A subagent transcript: ``flat`` (2.0.x ``agent-*.jsonl`` beside sessions) or
    ``subagents`` (2.1.x ``<session>/subagents/``)."""

    path: str
    agent_id: str
    layout: str
    mtime_ns: int
    size: int


@dataclass
class Discovery:
    sessions: list[TranscriptFile] = field(default_factory=list)
    flat_agents: dict[str, list[SubagentFile]] = field(default_factory=dict)  # project → files
    problems: list[Problem] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    folders: set[str] = field(default_factory=set)  # sub-folders of projects (<session>/)

    def paths(self) -> set[str]:
        """Every transcript path the scan found: sessions and flat subagents."""
        present = {file.path for file in self.sessions}
        for agents in self.flat_agents.values():
            present.update(agent.path for agent in agents)
        return present

    def most_recent(self, limit: int) -> list[TranscriptFile]:
        """The ``limit`` most recently modified sessions across all projects (S4.15, S8.12)."""
        sessions = self.sessions
        if limit < len(sessions):
            # The limit-th newest mtime, found on bare ints, leaves few files to sort by key.
            cut = (
                heapq.nlargest(limit, [file.mtime_ns for file in sessions])[-1]
                if limit > 0 else None
            )
            sessions = [file for file in sessions if cut is not None and file.mtime_ns >= cut]
        return sorted(sessions, key=_recency)[:limit]


def _recency(file: TranscriptFile) -> tuple[int, str]:
    return (-file.mtime_ns, file.path)


def _problem(kind: str, message: str, path: str) -> Problem:
    return Problem(source=SOURCE_NAME, hook=_HOOK, error_type=kind, message=message, path=path)


def _from_error(error: OSError, path: str, what: str) -> Problem:
    reason = error.strerror or str(error) or type(error).__name__
    return _problem(type(error).__name__, f"{what} skipped: {reason}", path)


def resolve_roots(roots: Iterable[str | os.PathLike[str]], problems: list[Problem]) -> list[str]:
    """Existing, non-symlinked roots, resolved and each read once (S4.1, S4.2)."""
    return resolve_root_folders(
        roots, problems, source=SOURCE_NAME, hook=_HOOK, what="projects root"
    )


def discover(roots: Iterable[str | os.PathLike[str]]) -> Discovery:
    """Scan every root: session candidates with their stat, flat subagents, problems."""
    found = Discovery()
    found.roots = resolve_roots(roots, found.problems)
    for root in found.roots:
        try:
            entries = list(os.scandir(root))
        except OSError as error:
            found.problems.append(_from_error(error, root, "unreadable projects root"))
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
                _scan_project(entry.path, found)
    return found


def scan_project(project_dir: str) -> Discovery:
    """One project folder only: its sessions and flat subagents."""
    found = Discovery()
    _scan_project(project_dir, found)
    return found


def transcript_file_at(path: str) -> TranscriptFile | None:
    """Re-stat a known session path; None if it is gone, a symlink or not a file."""
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    if not stat_module.S_ISREG(stat.st_mode):
        return None
    name = os.path.basename(path)
    return TranscriptFile(
        path, os.path.dirname(path), name[: -len(SUFFIX)],
        stat.st_mtime_ns, stat.st_size, stat.st_ino,
    )


def _scan_project(project_dir: str, found: Discovery) -> None:
    try:
        entries = list(os.scandir(project_dir))
    except OSError as error:
        found.problems.append(_from_error(error, project_dir, "unreadable project folder"))
        return
    sessions = found.sessions
    for entry in entries:
        name = entry.name
        if not name.endswith(SUFFIX):
            # sessions-index.json, memory/, bash-outputs/; <session>/ folders are noted so
            # only sessions that have one are searched for subagents (d_type, no syscall).
            if entry.is_dir(follow_symlinks=False):
                found.folders.add(entry.path)
            continue
        path = entry.path
        try:
            # The one stat of this scan (S4.18); lstat, so its mode also reveals symlinks.
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            found.problems.append(
                _problem("FileVanished", "transcript vanished during the scan", path)
            )
            continue
        except OSError as error:
            found.problems.append(_from_error(error, path, "unreadable transcript"))
            continue
        mode = stat.st_mode
        if not S_ISREG(mode):
            if S_ISLNK(mode):
                found.problems.append(
                    _problem("SymlinkSkipped", "symlinked transcript not followed", path)
                )
            continue
        stem = name[: -len(SUFFIX)]
        if stem.startswith("agent-"):
            found.flat_agents.setdefault(project_dir, []).append(
                SubagentFile(path, stem[len("agent-"):], "flat", stat.st_mtime_ns, stat.st_size)
            )
            continue
        sessions.append(
            TranscriptFile(path, project_dir, stem, stat.st_mtime_ns, stat.st_size, stat.st_ino)
        )


def subagents_folder(session: TranscriptFile) -> tuple[list[SubagentFile], list[Problem]]:
    """2.1.x subagents in ``<project>/<session>/subagents/agent-*.jsonl`` (S4.2)."""
    folder = os.path.join(session.project_dir, session.stem)
    files: list[SubagentFile] = []
    problems: list[Problem] = []
    try:
        if os.path.islink(folder) or not os.path.isdir(folder):
            return files, problems
        inner = os.path.join(folder, "subagents")
        if os.path.islink(inner):
            problems.append(
                _problem("SymlinkSkipped", "symlinked subagents folder not followed", inner)
            )
            return files, problems
        entries = list(os.scandir(inner))
    except FileNotFoundError:
        return files, problems
    except OSError as error:
        problems.append(_from_error(error, folder, "unreadable subagents folder"))
        return files, problems
    for entry in entries:
        name = entry.name
        if not (name.startswith("agent-") and name.endswith(SUFFIX)) or entry.is_symlink():
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not S_ISREG(stat.st_mode):
            continue  # a FIFO or device is never a transcript, nor opened
        files.append(
            SubagentFile(entry.path, name[len("agent-"): -len(SUFFIX)], "subagents",
                         stat.st_mtime_ns, stat.st_size)
        )
    files.sort(key=lambda f: f.agent_id)
    return files, problems
