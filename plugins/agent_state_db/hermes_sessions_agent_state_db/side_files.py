"""Reading the small JSON files agent rows consult, without trusting them (issue 13).

``cron/jobs.json`` (job names), the Web UI's ``projects.json`` (the Cron Jobs project) and its
tombstones are written by other programs. Opening a FIFO for reading blocks until a writer
comes, so each file is opened non-blocking and must turn out to be a regular file; and none is
read past :data:`MAX_SIDE_FILE_BYTES`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_SIDE_FILE_BYTES", "NotARegularFile", "SideFileTooLarge", "read_side_file"]

#: Largest side file read; real ones are a few KB.
MAX_SIDE_FILE_BYTES = 16 * 1024 * 1024


class NotARegularFile(OSError):
    """A FIFO, socket, device or folder where a JSON file belongs."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} is not a regular file (a FIFO, socket, device or folder); skipped"
        )


class SideFileTooLarge(OSError):
    """A side file larger than :data:`MAX_SIDE_FILE_BYTES`."""

    def __init__(self, path: Path, size: int) -> None:
        super().__init__(
            f"{path} is {size} bytes, more than the {MAX_SIDE_FILE_BYTES} read; skipped"
        )


def read_side_file(path: Path, max_bytes: int = MAX_SIDE_FILE_BYTES) -> bytes:
    """The bytes of ``path``. Raises FileNotFoundError, :class:`NotARegularFile`,
    :class:`SideFileTooLarge` or another OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(path)
        if info.st_size > max_bytes:
            raise SideFileTooLarge(path, info.st_size)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # grew after the stat
            raise SideFileTooLarge(path, len(data))
        return data
    finally:
        os.close(fd)
