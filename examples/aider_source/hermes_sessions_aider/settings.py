"""Where Aider's chat histories are, and this source's options.

Aider appends every chat to one Markdown file per repository, ``.aider.chat.history.md`` at the
git root (its ``--chat-history-file`` option, ``AIDER_CHAT_HISTORY_FILE`` in the environment).
There is no central folder to read, so the store's settings say where to look:

- ``settings["aider"]["roots"]``: folders whose own history file, and those of their direct
  subfolders (one repository each), are read: ``{"aider": {"roots": ["~/code"]}}``;
- ``settings["aider"]["files"]``: history files of any name;
- neither: ``$AIDER_CHAT_HISTORY_FILE`` if set, else the current folder's history file (what
  ``aider`` itself writes when started there). Relative paths are taken from the current folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import SourceContext

__all__ = [
    "SOURCE_NAME", "ID_PREFIX", "HISTORY_FILE_NAME", "DEFAULT_LIMIT", "MAX_READ_BYTES",
    "HistoryPlaces",
    "history_places", "row_limit",
]

SOURCE_NAME = "aider"
#: Our ids are ``aider_<project>_<start>``: the prefix tells the core to route them here only.
ID_PREFIX = "aider_"
#: Aider's default ``--chat-history-file`` name.
HISTORY_FILE_NAME = ".aider.chat.history.md"
#: Newest sessions listed when neither the request nor the settings give a limit.
DEFAULT_LIMIT = 100
#: The most read of one history file (its end, for a listing; one session, for a transcript):
#: a history file grows for as long as its repository is used.
MAX_READ_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HistoryPlaces:
    """Folders to scan for history files, and history files named outright."""

    roots: tuple[Path, ...]
    files: tuple[Path, ...]


def history_places(context: SourceContext) -> HistoryPlaces:
    """The settings' ``roots`` and ``files``; else Aider's variable; else the current folder."""
    roots = _paths(context.setting(SOURCE_NAME, "roots"))
    files = _paths(context.setting(SOURCE_NAME, "files"))
    if roots or files:
        return HistoryPlaces(roots, files)
    named = context.locations.env.get("AIDER_CHAT_HISTORY_FILE")
    if named:
        return HistoryPlaces((), _paths(named))
    return HistoryPlaces((), _paths(HISTORY_FILE_NAME))


def row_limit(context: SourceContext, requested: int | None) -> int:
    if requested is not None:
        return max(0, int(requested))
    return int(context.setting(SOURCE_NAME, "limit", DEFAULT_LIMIT))


def _paths(value: Any) -> tuple[Path, ...]:
    """One path or a list of them, ``~`` expanded and made absolute; other values ignored."""
    items = [value] if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(items, (list, tuple)):
        return ()
    return tuple(
        Path(os.path.abspath(os.path.expanduser(os.fspath(item))))
        for item in items if isinstance(item, (str, os.PathLike)) and os.fspath(item)
    )
