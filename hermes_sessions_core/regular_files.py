"""Opening files other programs write, without hanging on a FIFO or following a symlink.

Opening a FIFO for reading blocks until a writer comes, so every source reads the files it does
not own through :func:`open_regular`: the open itself never blocks, never follows a final
symlink, and anything but a regular file (a FIFO, socket, device or folder) is refused with
:class:`NotARegularFile`. Plugins should do the same.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

__all__ = ["FileTooLarge", "NotARegularFile", "open_regular", "open_regular_fd", "read_regular"]

_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


class NotARegularFile(OSError):
    """A FIFO, socket, device or folder where a file belongs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(f"{os.fspath(path)} is not a regular file (a FIFO, socket, device or "
                         "folder); not read")
        self.path = os.fspath(path)


class FileTooLarge(OSError):
    """A file larger than the caller's cap; nothing of it was kept."""

    def __init__(self, path: str | os.PathLike[str], size: int, limit: int) -> None:
        super().__init__(f"{os.fspath(path)} is {size} bytes, more than the {limit} read; skipped")
        self.path = os.fspath(path)
        self.size = size
        self.limit = limit


def open_regular_fd(path: str | os.PathLike[str], *, follow_symlinks: bool = False) -> int:
    """A blocking read descriptor for the regular file ``path``; raises OSError (including
    :class:`NotARegularFile`, and ELOOP for a symlink unless ``follow_symlinks``)."""
    fd = os.open(path, _FLAGS if follow_symlinks else _FLAGS | _NO_FOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular(path: str | os.PathLike[str], *, follow_symlinks: bool = False) -> BinaryIO:
    """:func:`open_regular_fd` as a binary file object."""
    return os.fdopen(open_regular_fd(path, follow_symlinks=follow_symlinks), "rb")


def read_regular(
    path: str | os.PathLike[str], max_bytes: int | None = None, *, follow_symlinks: bool = False
) -> bytes:
    """The whole regular file ``path``; :class:`FileTooLarge` past ``max_bytes``."""
    fd = open_regular_fd(path, follow_symlinks=follow_symlinks)
    try:
        size = os.fstat(fd).st_size
        if max_bytes is not None and size > max_bytes:
            raise FileTooLarge(path, size, max_bytes)
        chunks: list[bytes] = []
        kept = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            kept += len(chunk)
            if max_bytes is not None and kept > max_bytes:  # grew after the stat
                raise FileTooLarge(path, kept, max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
