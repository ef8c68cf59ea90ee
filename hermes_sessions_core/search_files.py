"""The local files sources keep as search indexes and caches: private, opened with a schema
check, discarded when unusable.

A search index is derived data: when its file is missing, from another schema version or
corrupt, the source rebuilds it. This module gives every source the same opening rules (WAL,
a busy timeout, the version stored in a ``meta`` table) and the same way to throw one away.

Indexes and caches copy message text out of stores whose own modes we cannot mirror (Claude
Code's folder, the agent's database), so only their owner may read them: files are created
``0600`` in ``0700`` folders, and files found with looser modes are tightened when opened
(docs/hostile-input.md lists every such file).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .locations import Locations

__all__ = [
    "SearchIndexUnusable",
    "open_search_index",
    "discard_search_index",
    "search_index_folder",
    "search_index_path",
    "make_private_folder",
    "make_private_file",
    "PRIVATE_FILE_MODE",
    "PRIVATE_FOLDER_MODE",
]

logger = logging.getLogger(__name__)

#: Mode of every index and cache file that copies session content.
PRIVATE_FILE_MODE = 0o600
#: Mode of the folders holding them.
PRIVATE_FOLDER_MODE = 0o700
#: The index file and the files SQLite keeps beside it, which hold the same text.
_SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")

class SearchIndexUnusable(Exception):
    """The index file is missing, from another version, or corrupt: rebuild it."""


def search_index_folder(locations: Locations) -> Path:
    """``<state dir>/search``: where built-in sources keep their indexes by default."""
    return locations.state_dir / "search"


def search_index_path(
    locations: Locations, settings: Callable[[str, str], Any], source: str,
    machine: str | None = None,
) -> Path:
    """Where ``source`` keeps its index: its own ``search_index_path`` setting, else
    ``<core.search_index_dir>/<source>.sqlite`` (commands point that into the user's cache
    when the state dir does not exist), else ``<state dir>/search/<source>.sqlite``.
    Another machine's files get ``<name>@<machine>.sqlite`` beside it: ids repeat across
    machines, so each machine is indexed apart. ``settings`` is the context's
    ``setting(source, key)``."""
    configured = settings(source, "search_index_path")
    if configured:
        path = Path(configured)
    else:
        folder = settings("core", "search_index_dir")
        path = (Path(folder) if folder else search_index_folder(locations)) / f"{source}.sqlite"
    return path if machine is None else path.with_name(f"{path.stem}@{machine}{path.suffix}")


def open_search_index(
    path: Path, schema: str, version: str, *, create: bool, synchronous_normal: bool = False,
    private_folder: bool = False,
) -> sqlite3.Connection:
    """A connection to the index at ``path``; ``create`` makes a missing one from ``schema``.

    The file and its SQLite sidecars are ``0600``; a folder this call creates is ``0700``, and
    with ``private_folder`` (the folder holds nothing but indexes, as
    :func:`search_index_folder` does) an existing one is tightened to ``0700`` too. A folder
    the user configured is otherwise left as it is.

    Raises :class:`SearchIndexUnusable` naming the file and the reason otherwise.
    """
    if not create and not path.is_file():
        raise SearchIndexUnusable(f"no search index at {path}")
    if create:
        make_private_folder(path.parent, tighten=private_folder)
        _create_private(path)
    elif private_folder:
        _tighten(path.parent, PRIVATE_FOLDER_MODE, stat.S_IFDIR)
    for suffix in _SQLITE_SIDECARS:
        _tighten(Path(f"{path}{suffix}"), PRIVATE_FILE_MODE, stat.S_IFREG)
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
    for suffix in _SQLITE_SIDECARS:
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def make_private_folder(folder: Path, *, tighten: bool) -> None:
    """Create ``folder`` (and missing parents) for private files: the folder itself ``0700``.

    ``tighten`` also takes group and other access away from an existing folder; pass it only
    for a folder that holds nothing but our indexes or caches, never one a user chose.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(folder, PRIVATE_FOLDER_MODE)
    except FileExistsError:
        if tighten:
            _tighten(folder, PRIVATE_FOLDER_MODE, stat.S_IFDIR)


def make_private_file(path: Path) -> None:
    """Take group and other access away from an existing cache or index file; a file that is
    missing, not ours or not a regular file is left alone."""
    _tighten(path, PRIVATE_FILE_MODE, stat.S_IFREG)


def _create_private(path: Path) -> None:
    """Create an empty ``0600`` file if none exists, so SQLite never makes it world-readable
    (SQLite gives its ``-wal`` and ``-shm`` files the database file's mode)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(path, flags, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass


def _tighten(path: Path, mode: int, kind: int) -> None:
    """Clear the group and other bits of our own file or folder; one ``lstat`` when already
    private. Symbolic links and other people's files are never changed."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        logger.warning("cannot check the mode of %s: %s", path, error)
        return
    getuid = getattr(os, "getuid", None)
    mine = getuid is None or found.st_uid == getuid()
    if stat.S_IFMT(found.st_mode) == kind and mine and stat.S_IMODE(found.st_mode) & 0o077:
        try:
            os.chmod(path, stat.S_IMODE(found.st_mode) & mode)
        except OSError as error:
            logger.warning("cannot make %s private (mode %o): %s", path, mode, error)
