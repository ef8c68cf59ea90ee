"""Finding rollout files and turning their names into session ids and back.

A rollout is ``sessions/YYYY/MM/DD/rollout-<local time>-<thread id>.jsonl``. The thread id (a
UUID) is the session's identity, so ids are derived from file names without opening the files,
and an id is checked against a strict pattern before it becomes part of a glob.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from .settings import ID_PREFIX

__all__ = ["rollout_files", "session_id_for", "thread_id_of", "find_rollout"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_FILE_NAME = re.compile(
    rf"rollout-\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}-\d{{2}}-\d{{2}}-({_UUID})\.jsonl"
)
_SESSION_ID = re.compile(rf"{re.escape(ID_PREFIX)}({_UUID})")


def rollout_files(root: Path) -> Iterator[Path]:
    """Rollouts under ``root``, newest first by their dated folders and names (no stat calls)."""
    if not root.is_dir():
        return
    found = [path for path in root.glob("*/*/*/rollout-*.jsonl") if _FILE_NAME.fullmatch(path.name)]
    found.sort(key=lambda path: path.relative_to(root).as_posix(), reverse=True)
    yield from found


def session_id_for(path: Path) -> str | None:
    match = _FILE_NAME.fullmatch(path.name)
    return f"{ID_PREFIX}{match.group(1)}" if match else None


def thread_id_of(session_id: str) -> str | None:
    """The Codex thread id inside one of our ids; ``None`` for anything else (S1.3)."""
    match = _SESSION_ID.fullmatch(session_id) if isinstance(session_id, str) else None
    return match.group(1) if match else None


def find_rollout(root: Path, session_id: str) -> Path | None:
    """The rollout file of ``session_id``, or ``None`` if the id is not ours or not on disk."""
    thread_id = thread_id_of(session_id)
    if thread_id is None or not root.is_dir():
        return None
    matches = sorted(root.glob(f"*/*/*/rollout-*-{thread_id}.jsonl"))
    return matches[-1] if matches else None
