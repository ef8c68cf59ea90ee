"""The OpenCode listing of one machine's data folders: databases first, then the legacy tree.

Each folder is examined with one ``scandir``: its databases (``opencode.db``, channel
databases, a ``$OPENCODE_DB`` name) and its ``storage/`` tree. A database is read in a few
bounded queries (the ``max_sessions`` most recently updated top-level sessions, their
children, their messages' info, and the parts of the first user message where the title
needs them) and cached under its stat and its ``-wal``'s; when it changed (OpenCode commits
on every message), only sessions whose row or messages changed are read again. A legacy
session is read only if no database holds its id (an install that migrated keeps both:
listed once), and cached under its file's stat and its message folder's mtime. Child
sessions (``parent_id``) are never rows: they are counted and named on their parent's row.
Whatever fails (a corrupt, locked or foreign database, a damaged file) becomes a problem,
and the rest still lists.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping, Sequence

from hermes_sessions_core.models import Problem, SessionRow, SourceListing

from .cache import OpenCodeCache
from .connection import NotADatabase, database_key, open_read_only
from .database import message_versions, read_messages, read_parts, read_sessions
from .homes import is_database_name
from .json_tree import (
    DamagedFile,
    LegacySessionFile,
    message_folder_key,
    read_legacy_messages,
    read_legacy_parts,
    read_session_file,
    scan_sessions,
)
from .records import MessageRecord
from .rows import row_from_summary
from .settings import SOURCE_NAME, OpenCodeSettings
from .summary import SessionSummary, summarise_session, title_message_ids

__all__ = [
    "MachineSessions", "collect_sessions", "list_opencode_rows", "read_database", "with_parts",
    "legacy_summary",
]

_HOOK = "hermes_sessions_list_rows"
_NOT_A_SESSION = "not-a-session"


@dataclass
class MachineSessions:
    """Every session one machine's folders hold (top-level and children), by native id."""

    summaries: dict[str, SessionSummary] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _children: dict[str, list[SessionSummary]] | None = None

    def children_of(self, native_id: str) -> list[SessionSummary]:
        if self._children is None:
            self._children = {}
            for summary in self.summaries.values():
                if summary.record.parent_id is not None:
                    self._children.setdefault(summary.record.parent_id, []).append(summary)
            for children in self._children.values():
                children.sort(key=lambda s: (s.first_at or 0.0, s.session_id))
        return list(self._children.get(native_id, ()))

    def top_level(self) -> list[SessionSummary]:
        """Sessions that are rows: no parent, or a parent these folders do not hold."""
        return [s for s in self.summaries.values()
                if s.record.parent_id is None or s.record.parent_id not in self.summaries]


@dataclass(frozen=True)
class DatabaseRead:
    """One database's summaries, each with the version it was read at (its session row and
    its messages' count and latest update), so the next read redoes only changed sessions."""

    summaries: tuple[SessionSummary, ...]
    versions: Mapping[str, Hashable] = field(default_factory=dict)


def _problem(kind: str, message: str, path: str | None, hook: str = _HOOK) -> Problem:
    return Problem(source=SOURCE_NAME, hook=hook, error_type=kind, message=message, path=path)


def with_parts(
    messages: list[MessageRecord], wanted: Iterable[str],
    parts: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[MessageRecord]:
    """``messages`` with the parts of those in ``wanted`` attached."""
    chosen = set(wanted)
    return [
        m._replace(parts=tuple(parts.get(m.native_id, ())))
        if m.native_id in chosen else m
        for m in messages
    ]


def read_database(
    path: str, settings: OpenCodeSettings, native_id: str | None = None,
    previous: DatabaseRead | None = None,
) -> DatabaseRead:
    """Summaries of the sessions in one database (see the module docstring); a session whose
    version is the one in ``previous`` is not read again (OpenCode commits on every message,
    and most sessions did not change). Raises sqlite3.Error, OSError or
    :class:`~.connection.NotADatabase`."""
    fallback = os.lstat(path).st_mtime
    known = {s.record.native_id: s for s in previous.summaries} if previous else {}
    old_versions = previous.versions if previous else {}
    connection = open_read_only(path, settings.busy_timeout_ms)
    try:
        records = read_sessions(connection, path, limit=settings.max_sessions,
                                title_chars=settings.max_title_chars, native_id=native_id)
        stats = message_versions(connection, [r.native_id for r in records])
        versions: dict[str, Hashable] = {
            r.native_id: (r, stats.get(r.native_id)) for r in records}
        changed = [r for r in records if r.native_id not in known
                   or old_versions.get(r.native_id) != versions[r.native_id]]
        by_session = read_messages(connection, [r.native_id for r in changed],
                                   max_bytes=settings.max_json_bytes)
        wanted = {r.native_id: title_message_ids(r, by_session.get(r.native_id, []))
                  for r in changed}
        parts = read_parts(connection, [m for ids in wanted.values() for m in ids],
                           max_bytes=settings.max_json_bytes,
                           max_chars=settings.max_title_chars * 4)
    finally:
        connection.close()
    fresh: dict[str, SessionSummary] = {}
    for record in changed:
        messages = with_parts(by_session.get(record.native_id, []),
                              wanted[record.native_id], parts)
        summary = summarise_session(record, messages, settings.max_title_chars, fallback)
        if summary is not None:
            fresh[record.native_id] = summary
    changed_ids = {record.native_id for record in changed}
    summaries = []
    for record in records:
        native = record.native_id
        summary = fresh.get(native) if native in changed_ids else known.get(native)
        if summary is not None:
            summaries.append(summary)
    return DatabaseRead(tuple(summaries), versions)


def _database_summaries(
    path: str, settings: OpenCodeSettings, cache: OpenCodeCache, problems: list[Problem]
) -> list[SessionSummary]:
    key = database_key(path)
    cached = cache.databases.get(path, key)
    if cached is not None:
        return list(cached.summaries)
    try:
        read = read_database(path, settings, previous=cache.databases.stale(path))
    except (sqlite3.Error, OSError, NotADatabase, ValueError) as error:
        stale = cache.databases.stale(path)
        locked = isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
        kind = "DatabaseLocked" if locked else type(error).__name__
        note = "; showing the sessions read from it before" if stale is not None else ""
        problems.append(_problem(
            kind, f"OpenCode database could not be read ({error}){note}; the legacy JSON "
            "tree, if any, is still listed", path))
        return list(stale.summaries) if stale is not None else []
    cache.databases.put(path, key, read)
    return list(read.summaries)


def legacy_summary(
    root: str, file: LegacySessionFile, settings: OpenCodeSettings, cache: OpenCodeCache,
    problems: list[Problem],
) -> SessionSummary | None:
    key = (file.key, message_folder_key(root, file.native_id))
    cached = cache.legacy.get(file.path, key)
    if cached is not None:
        return None if cached == _NOT_A_SESSION else cached
    try:
        record = read_session_file(file, settings.max_json_bytes, settings.max_title_chars)
        messages, damaged = read_legacy_messages(root, file.native_id, with_parts=False,
                                                 max_bytes=settings.max_json_bytes)
        wanted = title_message_ids(record, messages)
        parts: dict[str, Sequence[Mapping[str, Any]]] = {}
        for message_id in wanted:
            parts[message_id], bad = read_legacy_parts(root, message_id, settings.max_json_bytes)
            damaged += bad
        messages = with_parts(messages, wanted, parts)
    except FileNotFoundError:
        problems.append(_problem("FileVanished", "session file vanished before it was read",
                                 file.path))
        return None
    except (OSError, DamagedFile, ValueError) as error:
        problems.append(_problem(type(error).__name__, f"legacy session skipped: {error}",
                                 file.path))
        cache.legacy.put(file.path, key, _NOT_A_SESSION)
        return None
    if damaged:
        problems.append(_problem("DamagedFile", f"{damaged} damaged message or part file(s) "
                                 "of this session were skipped", file.path))
    summary = summarise_session(record, messages, settings.max_title_chars,
                                file.mtime_ns / 1e9)
    cache.legacy.put(file.path, key, summary if summary is not None else _NOT_A_SESSION)
    return summary


def folder_databases(folder: str, database_names: frozenset[str], problems: list[Problem]
                    ) -> tuple[str | None, list[str]]:
    """The resolved folder and its database files, or ``(None, [])`` when it is absent."""
    path = os.path.expanduser(folder)
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None, []
    except (OSError, ValueError) as error:
        problems.append(_problem(type(error).__name__, f"OpenCode folder skipped: {error}", path))
        return None, []
    if stat.S_ISLNK(mode):
        problems.append(_problem("SymlinkSkipped", "OpenCode folder is a symlink; not "
                                 "followed", path))
        return None, []
    if not stat.S_ISDIR(mode):
        return None, []
    resolved = os.path.realpath(path)
    databases = []
    try:
        entries = list(os.scandir(resolved))
    except OSError as error:
        problems.append(_problem(type(error).__name__, f"unreadable OpenCode folder: {error}",
                                 resolved))
        return resolved, []
    for entry in entries:
        if not is_database_name(entry.name, database_names):
            continue
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode):
            databases.append(entry.path)
        else:
            problems.append(_problem("NotARegularFile", "a symlink or special file where an "
                                     "OpenCode database belongs; not opened", entry.path))
    databases.sort(key=lambda p: (os.path.basename(p) != "opencode.db", p))
    return resolved, databases


def collect_sessions(
    folders: Iterable[str], settings: OpenCodeSettings, cache: OpenCodeCache,
    database_names: frozenset[str] = frozenset(),
) -> MachineSessions:
    """Every session the folders of one machine hold; databases win over legacy trees (an
    install that migrated keeps both), then the first folder wins an id found twice."""
    found = MachineSessions()
    summaries = found.summaries
    resolved_folders = []
    for folder in folders:
        resolved, databases = folder_databases(folder, database_names, found.problems)
        if resolved is None or resolved in resolved_folders:
            continue
        resolved_folders.append(resolved)
        for path in databases:
            for summary in _database_summaries(path, settings, cache, found.problems):
                summaries.setdefault(summary.record.native_id, summary)
    for resolved in resolved_folders:
        files, skipped = scan_sessions(resolved)
        for path, reason in skipped:
            found.problems.append(_problem("SkippedFile", reason, path))
        files = [f for f in files if f.native_id not in summaries]
        files.sort(key=lambda f: (-f.mtime_ns, f.path))
        for file in files[: settings.max_sessions * 2]:
            legacy = legacy_summary(resolved, file, settings, cache, found.problems)
            if legacy is not None:
                summaries.setdefault(legacy.record.native_id, legacy)
        cache.legacy.forget_missing([resolved], {f.path for f in files})
    return found


def list_opencode_rows(
    folders: Iterable[str], settings: OpenCodeSettings, cache: OpenCodeCache, *,
    limit: int | None = None, database_names: frozenset[str] = frozenset(),
) -> SourceListing:
    """Rows for the top-level sessions in ``folders``, newest activity first."""
    found = collect_sessions(folders, settings, cache, database_names)
    top = sorted(found.top_level(), key=lambda s: (-(s.last_at or 0.0), s.session_id))
    if limit is not None and limit >= 0:
        top = top[:limit]
    rows = tuple(_row(summary, found.children_of(summary.record.native_id), cache)
                 for summary in top)
    return SourceListing(SOURCE_NAME, rows, tuple(found.problems))


def _row(summary: SessionSummary, children: list[SessionSummary], cache: OpenCodeCache
         ) -> SessionRow:
    """The row of a summary and its children, built once and kept (read-only nested values,
    so every listing may hand out the same row): a warm listing builds no row."""
    key = (id(summary), tuple(id(child) for child in children))
    where = summary.record.path + "#" + summary.record.native_id
    cached = cache.rows.get(where, key)
    if cached is not None:
        return cached[2]  # type: ignore[no-any-return]
    row = SessionRow.kept(row_from_summary(summary, children))
    # The summaries stay referenced beside the row, so the ids in the key are never reused.
    cache.rows.put(where, key, (summary, children, row))
    return row
