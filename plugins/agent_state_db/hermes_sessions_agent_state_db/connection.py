"""Connections to the agent's ``state.db``: read-only by default, always closed (S3.2).

The agent may be writing while we read, so reads use ``mode=ro`` URIs and a bounded wait for a
writer's lock; only :mod:`.delete` asks for a writable connection. Text cells are decoded with
replacement characters so one invalid UTF-8 cell never empties a transcript.

A read takes its snapshot once, at open (``BEGIN`` and a first read), so the only lock wait is
there: one call (a listing of every profile, one opened session) shares one :class:`LockWait`,
and a store found locked is not waited for again for :data:`LOCKED_GRACE` seconds, so the
hooks of one sidebar wait once in total (issue 13). A store that stays locked raises
:class:`AgentStoreLocked`, never a raw ``sqlite3`` error.

SQLite opens ``state.db``, ``-journal``, ``-wal`` and ``-shm`` with blocking ``open()``, so a
FIFO or device in any of those places would hang the reader: they are stat'ed first and refused
(:class:`AgentStoreNotAFile`).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from hermes_sessions_core.errors import StorageError

from .essentials import (
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_LOCK_WAIT,
    AgentDatabaseMissing,
    LockWait,
    lock_wait,
)

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_LOCK_WAIT",
    "LOCKED_GRACE",
    "AgentDatabaseMissing",
    "AgentStoreLocked",
    "AgentStoreNotAFile",
    "LockWait",
    "check_files",
    "decode_text",
    "is_lock_error",
    "lock_wait",
    "read_only",
    "writable",
]

#: Seconds after a read found a store locked during which reads of it try once, without waiting.
LOCKED_GRACE = 5.0

_SIDE_SUFFIXES = ("-journal", "-wal", "-shm")
_MAX_REMEMBERED = 64


class AgentStoreLocked(StorageError):
    """Another process holds ``state.db`` locked (an exclusive transaction, or WAL in
    exclusive locking mode) for longer than this read may wait."""

    def __init__(self, path: Path | str, waited: float) -> None:
        self.waited = waited
        super().__init__(
            f"state.db at {path} is locked by another process (waited {waited:.1f} s): agent "
            "sessions cannot be read until it lets go; retry shortly, or find the holder with "
            f"`fuser {path}`",
            path=str(path),
        )


class AgentStoreNotAFile(StorageError):
    """``state.db`` or one of its SQLite side files is a FIFO, socket, device or folder."""

    def __init__(self, path: Path | str, mode: int) -> None:
        kind = _kind(mode)
        super().__init__(
            f"{path} is {kind}, not a regular file: SQLite would block or fail opening it, so "
            "the agent store is not read; remove it (the agent recreates its files)",
            path=str(path),
        )


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "a special file"


_locked_since: dict[str, float] = {}
_locked_guard = threading.Lock()


def _recently_locked(path: Path) -> bool:
    with _locked_guard:
        found = _locked_since.get(str(path))
    return found is not None and time.monotonic() - found < LOCKED_GRACE


def _remember_locked(path: Path, locked: bool) -> None:
    with _locked_guard:
        if not locked:
            _locked_since.pop(str(path), None)
            return
        if len(_locked_since) >= _MAX_REMEMBERED:
            _locked_since.clear()  # bounded: forgetting only costs one more bounded wait
        _locked_since[str(path)] = time.monotonic()


def is_lock_error(error: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (any extended code)."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in str(error)


def decode_text(data: bytes) -> str:
    """SQLite TEXT as str; invalid UTF-8 becomes U+FFFD instead of raising."""
    return data.decode("utf-8", "replace")


def _uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path))}?mode={mode}"


def check_files(path: Path) -> None:
    """The database must be a regular file (symlinks followed), and so must any side file.

    Raises :class:`AgentDatabaseMissing` or :class:`AgentStoreNotAFile`."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AgentDatabaseMissing(path) from None
    if not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise AgentDatabaseMissing(path)
        raise AgentStoreNotAFile(path, mode)
    for suffix in _SIDE_SUFFIXES:
        side = Path(f"{path}{suffix}")
        try:
            side_mode = os.stat(side).st_mode
        except OSError:
            continue
        if not stat.S_ISREG(side_mode):
            raise AgentStoreNotAFile(side, side_mode)


def _open(path: Path, mode: str, busy_timeout: float) -> sqlite3.Connection:
    check_files(path)
    connection = sqlite3.connect(
        _uri(path, mode), uri=True, timeout=busy_timeout, check_same_thread=False,
        isolation_level=None,
    )
    connection.text_factory = decode_text
    return connection


@contextmanager
def read_only(
    path: Path, busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT
) -> Iterator[sqlite3.Connection]:
    """A ``mode=ro`` connection holding one read snapshot, closed on exit (#1494).

    ``busy_timeout`` is the call's :class:`LockWait` (or seconds for a fresh one). Raises
    :class:`AgentStoreLocked` when the store stays locked, at open or later.
    """
    path = Path(path)
    allowance = lock_wait(busy_timeout)
    wait = 0.0 if _recently_locked(path) else allowance.remaining()
    connection = _open(path, "ro", wait)
    try:
        try:
            connection.execute("BEGIN")
            connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.OperationalError as error:
            if is_lock_error(error):
                _remember_locked(path, True)
                raise AgentStoreLocked(path, wait) from error
            raise
        _remember_locked(path, False)
        try:
            yield connection
        except sqlite3.OperationalError as error:
            if is_lock_error(error):
                _remember_locked(path, True)
                raise AgentStoreLocked(path, wait) from error
            raise
    finally:
        connection.close()


@contextmanager
def writable(
    path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> Iterator[sqlite3.Connection]:
    """A ``mode=rw`` connection in manual-transaction mode, closed on exit (delete only)."""
    connection = _open(Path(path), "rw", busy_timeout)
    try:
        yield connection
    finally:
        connection.close()
