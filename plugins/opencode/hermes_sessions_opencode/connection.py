"""Opening an OpenCode database strictly read-only, without changing the user's folder.

OpenCode runs its database in WAL mode and may be writing while we read. We open with
``mode=ro`` (never a write, never a journal) and a busy timeout, after checking the path is a
regular file (a FIFO there must not hang us) that starts like SQLite. A WAL database whose
``-wal``/``-shm`` files are absent (OpenCode closed it cleanly) is opened ``immutable=1``:
``mode=ro`` would create those files in the user's folder. A database on a read-only medium,
where even a WAL reader cannot set up its shared memory, is retried ``immutable=1`` too.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from urllib.parse import quote

from hermes_sessions_core.regular_files import NotARegularFile, open_regular

__all__ = ["NotADatabase", "open_read_only", "database_key", "StatKey"]

_MAGIC = b"SQLite format 3\x00"
_WAL_VERSION = 2
StatKey = tuple[int, int]


class NotADatabase(OSError):
    """A file named like OpenCode's database that is not SQLite (or cannot be read)."""


def _stat_key(path: str) -> StatKey | None:
    try:
        found = os.lstat(path)
    except (OSError, ValueError):
        return None
    return (found.st_mtime_ns, found.st_size)


def database_key(path: str) -> tuple[StatKey | None, StatKey | None]:
    """``(mtime_ns, size)`` of the database and of its ``-wal``: what a cached listing of it
    depends on (a commit changes one of them)."""
    return _stat_key(path), _stat_key(path + "-wal")


def _uri(path: str, **options: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in options.items())
    return f"file:{quote(os.path.abspath(path))}?{query}"


def _is_wal(header: bytes) -> bool:
    return len(header) >= 20 and header[18] == _WAL_VERSION and header[19] == _WAL_VERSION


def open_read_only(path: str, busy_timeout_ms: int = 2000) -> sqlite3.Connection:
    """A read-only connection to ``path``; raises :class:`NotADatabase`, OSError or
    ``sqlite3.Error`` naming what is wrong. Never creates a file beside the database."""
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotARegularFile(path)
    with open_regular(path) as handle:
        header = handle.read(100)
    if not header.startswith(_MAGIC):
        raise NotADatabase(f"{path} is not an SQLite database (bad header); not read")
    timeout = max(0.0, busy_timeout_ms / 1000.0)
    side_files_present = all(
        os.path.lexists(path + suffix) for suffix in ("-wal", "-shm")
    )
    if _is_wal(header) and not side_files_present:
        return _connect(_uri(path, mode="ro", immutable="1"), timeout)
    connection = _connect(_uri(path, mode="ro"), timeout)
    try:
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return connection
    except sqlite3.Error as error:
        connection.close()
        opening = "unable to open" in str(error) or "readonly" in str(error)
        if not (isinstance(error, sqlite3.OperationalError) and opening):
            raise
    # A read-only medium: nothing can write there, so a snapshot read is exact.
    return _connect(_uri(path, mode="ro", immutable="1"), timeout)


def _connect(uri: str, timeout: float) -> sqlite3.Connection:
    connection = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        connection.execute("PRAGMA query_only = 1")
    except BaseException:
        connection.close()
        raise
    return connection
