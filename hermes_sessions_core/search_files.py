"""The local SQLite files that sources keep as search indexes: open with a schema check, discard.

A search index is derived data: when its file is missing, from another schema version or
corrupt, the source rebuilds it. This module gives every source the same opening rules (WAL,
a busy timeout, the version stored in a ``meta`` table) and the same way to throw one away.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["SearchIndexUnusable", "open_search_index", "discard_search_index"]


class SearchIndexUnusable(Exception):
    """The index file is missing, from another version, or corrupt: rebuild it."""


def open_search_index(
    path: Path, schema: str, version: str, *, create: bool, synchronous_normal: bool = False
) -> sqlite3.Connection:
    """A connection to the index at ``path``; ``create`` makes a missing one from ``schema``.

    Raises :class:`SearchIndexUnusable` naming the file and the reason otherwise.
    """
    if not create and not path.is_file():
        raise SearchIndexUnusable(f"no search index at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), timeout=10.0, isolation_level=None,
                                 check_same_thread=False)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        if synchronous_normal:
            connection.execute("PRAGMA synchronous=NORMAL")
        if create:
            connection.executescript(schema)
            connection.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (version,)
            )
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None or row[0] != version:
            raise SearchIndexUnusable(f"search index {path} has schema {row and row[0]!r}")
    except sqlite3.DatabaseError as error:
        connection.close()
        raise SearchIndexUnusable(f"search index {path} is unreadable: {error}") from error
    except BaseException:
        connection.close()
        raise
    return connection


def discard_search_index(path: Path) -> None:
    """Delete an unusable index file and its SQLite sidecars so it can be built afresh."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass
