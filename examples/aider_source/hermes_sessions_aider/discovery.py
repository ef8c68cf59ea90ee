"""Finding history files: one ``lstat`` each, symbolic links never followed.

A root's own history file and those of its direct subfolders are candidates; a subfolder that
is a symbolic link is not entered, and a history file that is one is reported, not read. A file
that does not exist is simply not there (Aider creates it on first use).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hermes_sessions_core.models import Problem

from .settings import HISTORY_FILE_NAME, SOURCE_NAME, HistoryPlaces

__all__ = ["FoundFile", "find_history_files"]

#: A history file and the ``lstat`` that found it (its size and mtime key the summary cache).
FoundFile = tuple[Path, os.stat_result]


def find_history_files(places: HistoryPlaces, hook: str) -> tuple[list[FoundFile], list[Problem]]:
    """Every history file the places name, sorted by path so ids are assigned the same way by
    every caller; problems for files that exist but cannot be read as one."""
    candidates = list(places.files)
    for root in places.roots:
        candidates.extend(_candidates_under(root))
    found: dict[Path, os.stat_result] = {}
    problems: list[Problem] = []
    for path in candidates:
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as error:
            problems.append(Problem.from_exception(SOURCE_NAME, hook, error, path=str(path)))
            continue
        if stat.S_ISLNK(status.st_mode):
            problems.append(Problem(SOURCE_NAME, hook, "SymbolicLink",
                                    "a symbolic link; not followed (name the file itself)",
                                    path=str(path)))
        elif not stat.S_ISDIR(status.st_mode):
            found[path] = status  # FIFOs and sockets too: the reader refuses them, reported
    return sorted(found.items()), problems


def _candidates_under(root: Path) -> list[Path]:
    paths = [root / HISTORY_FILE_NAME]
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    paths.append(Path(entry.path) / HISTORY_FILE_NAME)
    except OSError:  # a root that is missing or unreadable holds nothing to list
        pass
    return paths
