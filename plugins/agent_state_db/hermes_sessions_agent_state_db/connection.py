"""Connections to the agent's ``state.db``: read-only by default, always closed (S3.2).

The agent may be writing while we read, so reads use ``mode=ro`` URIs and a busy timeout;
only :mod:`.delete` asks for a writable connection. Text cells are decoded with replacement
characters so one invalid UTF-8 cell never empties a transcript.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "AgentDatabaseMissing",
    "decode_text",
    "read_only",
    "writable",
]

#: Seconds a read waits for a writer's lock before giving up (S3.2).
DEFAULT_BUSY_TIMEOUT = 5.0


class AgentDatabaseMissing(FileNotFoundError):
    """The profile has no ``state.db``: the agent has not run there (or the path is wrong)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no agent database at {path}: the agent has not run for this profile")
        self.path = path


def decode_text(data: bytes) -> str:
    """SQLite TEXT as str; invalid UTF-8 becomes U+FFFD instead of raising."""
    return data.decode("utf-8", "replace")


def _uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path))}?mode={mode}"


def _open(path: Path, mode: str, busy_timeout: float) -> sqlite3.Connection:
    if not path.is_file():
        raise AgentDatabaseMissing(path)
    connection = sqlite3.connect(
        _uri(path, mode), uri=True, timeout=busy_timeout, check_same_thread=False,
        isolation_level=None,
    )
    connection.text_factory = decode_text
    return connection


@contextmanager
def read_only(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Iterator[sqlite3.Connection]:
    """A ``mode=ro`` connection closed on exit, including on error (#1494)."""
    connection = _open(Path(path), "ro", busy_timeout)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def writable(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Iterator[sqlite3.Connection]:
    """A ``mode=rw`` connection in manual-transaction mode, closed on exit (delete only)."""
    connection = _open(Path(path), "rw", busy_timeout)
    try:
        yield connection
    finally:
        connection.close()
