"""Session ids: ``aider_<project>_<YYYYMMDD-HHMMSS>``, with ``-2``, ``-3``… for repeats.

Aider gives its sessions no id, so one is made from what identifies a session to its user: the
folder holding the history file (lower-cased, every run of other characters made one ``-``) and
the local time the session started. Two sessions that would share an id (two projects with the
same folder name started in the same second) are told apart by their order: files sorted by
path, sessions in file order. Every caller numbers them in that one pass
(:func:`assign_ids`), so an id means the same session to the listing and to a load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, TypeVar

from .settings import ID_PREFIX

__all__ = ["is_session_id", "assign_ids"]

T = TypeVar("T")

_SESSION_ID = re.compile(
    rf"{re.escape(ID_PREFIX)}[a-z0-9-]{{1,60}}_\d{{8}}-\d{{6}}(?:-[1-9]\d{{0,5}})?"
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def is_session_id(session_id: object) -> bool:
    """Whether ``session_id`` has our shape: checked before anything touches the disk (S1.3)."""
    return isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id) is not None


def assign_ids(sessions: Iterable[tuple[Path, str, T]]) -> list[tuple[str, T]]:
    """``(history file, start text "YYYY-MM-DD HH:MM:SS", item)`` in file and session order →
    ``(session id, item)``."""
    seen: dict[str, int] = {}
    assigned: list[tuple[str, T]] = []
    for path, started, item in sessions:
        stamp = started.replace("-", "").replace(":", "").replace(" ", "-")
        base = f"{ID_PREFIX}{_project_slug(path)}_{stamp}"
        seen[base] = seen.get(base, 0) + 1
        assigned.append((base if seen[base] == 1 else f"{base}-{seen[base]}", item))
    return assigned


def _project_slug(history_file: Path) -> str:
    slug = _NOT_SLUG.sub("-", history_file.parent.name.lower()).strip("-")
    return slug[:60].strip("-") or "project"
