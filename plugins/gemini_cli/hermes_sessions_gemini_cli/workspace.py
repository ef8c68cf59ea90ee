"""Which folder a chat belongs to: its project's path, when Gemini left a way to know it.

The chat files do not hold the working directory. Gemini CLI names each project folder by the
SHA-256 of the project's path (older versions) or by a short slug, and newer versions write the
path itself in ``<project folder>/.project_root``. So the workspace is that file's path when it
exists; else the one of the session's ``directories`` whose SHA-256 is the ``projectHash`` (or
the folder's name); else unknown (None), and the row keeps ``project_hash`` to group by.
"""

from __future__ import annotations

import hashlib
import os

from hermes_sessions_core.regular_files import read_regular

from .cache import SourceCache
from .summary import ChatSummary

__all__ = ["workspace_for", "read_project_root"]

_MAX_MARKER_BYTES = 8192


def read_project_root(marker: tuple[str, int, int] | None, cache: SourceCache) -> str | None:
    """The path in a ``.project_root`` (cached by its stat); None if missing or unusable."""
    if marker is None:
        return None
    path, mtime_ns, size = marker
    known = cache.project_roots.get(path, (mtime_ns, size))
    if known is not None:
        return known or None
    try:
        text = read_regular(path, _MAX_MARKER_BYTES).decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        text = ""
    if "\n" in text or "\0" in text or not os.path.isabs(text):
        text = ""
    cache.project_roots.put(path, (mtime_ns, size), text)
    return text or None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def workspace_for(summary: ChatSummary, project_dir: str,
                  marker: tuple[str, int, int] | None, cache: SourceCache) -> str | None:
    """The chat's workspace, or None when it cannot be known."""
    found = read_project_root(marker, cache)
    if found:
        return found
    wanted = {summary.project_hash, os.path.basename(project_dir)} - {None}
    for directory in summary.directories:
        if _sha256(directory) in wanted:
            return directory
    return None
