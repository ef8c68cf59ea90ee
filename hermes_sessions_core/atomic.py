"""Replacing a local file so a crash leaves the old bytes or the new ones, never a mix (S2.3).

The recipe: write a temp file in the same folder, fsync it, rename it over the target, fsync
the folder so the rename itself survives a power cut. The temp name is per process and thread
(S2.4), so two writers of one file never share a temp file.
"""

from __future__ import annotations

import os
import stat
import threading

__all__ = ["temp_name", "write_file_atomically", "fsync_directory"]

_BINARY = getattr(os, "O_BINARY", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def temp_name(target: str) -> str:
    """``<stem>.tmp.<pid>.<thread id>``: never ends in ``.json`` and is never shared (S2.4)."""
    stem = target[: -len(".json")] if target.endswith(".json") else target
    return f"{stem}.tmp.{os.getpid()}.{threading.get_ident()}"


def write_file_atomically(target: str | os.PathLike[str], data: bytes) -> os.stat_result:
    """Replace ``target`` with ``data``; return the written file's stat (its identity).

    On failure the temp file is removed, the target is unchanged and the ``OSError`` raised.
    The folder is created if needed (S2.2: on the first write, never before).
    """
    path = os.fspath(target)
    folder = os.path.dirname(path) or "."
    temp = os.path.join(folder, temp_name(os.path.basename(path)))
    try:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)  # a file made private stays private
        except OSError:
            mode = 0o644
        # O_EXCL and O_NOFOLLOW: never write through something placed at the temp name.
        # The rare cases cost a retry, not a syscall on every write.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW | _BINARY
        try:
            fd = os.open(temp, flags, mode)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(temp, flags, mode)
        except FileExistsError:
            os.unlink(temp)  # a leftover of a killed save with this pid and thread id
            fd = os.open(temp, flags, mode)
        try:
            if mode != 0o644:
                os.fchmod(fd, mode)  # the umask may have taken bits the old file had
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    fsync_directory(folder)
    return written


def fsync_directory(folder: str | os.PathLike[str]) -> None:
    """Make a rename durable; platforms that cannot open folders skip this, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
