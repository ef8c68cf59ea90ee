"""Reading the small JSON files agent rows consult, without trusting them (issue 13).

``cron/jobs.json`` (job names) and the agent's per-session ``sessions/session_<id>.json`` (an
interrupted turn's transcript) are written by other programs; what the Web UI's store and the
projects keeper hold is asked through the core (``context.webui_store``, ``context.projects``).
Opening a FIFO for reading blocks until a writer comes, so each file is opened non-blocking and
must turn out to be a regular file; and none is read past :data:`MAX_SIDE_FILE_BYTES` unless
its reader names a larger cap.
"""

from __future__ import annotations

from pathlib import Path

from hermes_sessions_core.regular_files import FileTooLarge, NotARegularFile, read_regular

__all__ = ["MAX_SIDE_FILE_BYTES", "FileTooLarge", "NotARegularFile", "read_side_file"]

#: Largest side file read; real ones are a few KB.
MAX_SIDE_FILE_BYTES = 16 * 1024 * 1024


def read_side_file(path: Path, max_bytes: int = MAX_SIDE_FILE_BYTES) -> bytes:
    """The bytes of ``path`` (a symlink is followed: these are the user's files). Raises
    FileNotFoundError, :class:`NotARegularFile`, :class:`FileTooLarge` or another OSError."""
    return read_regular(path, max_bytes, follow_symlinks=True)

