"""Sidebar rows from one profile's ``state.db``, without aggregating the whole store (S3.7-S3.16).

A candidate window of 8 × the limit comes from the agent's activity index; the chains those
rows need are fetched by id and parent link, and messages are counted only for those ids. The
limit applies after chains are collapsed and the CLI visibility rule is applied (S3.14).

A store that another process keeps locked costs one bounded wait (:mod:`.connection`) and is
listed from this process's last successful read of it, if that is at most
:data:`STALE_ROWS_MAX_AGE` old, with a problem saying so; otherwise it lists nothing and the
problem says why. Rows never vanish silently (issue 13).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import ProjectFacts, WebuiStoreFacts
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.models import Problem, SessionRow, SourceListing

from .cache import DEFAULT_TTL, MAX_KEYS, TtlLruCache
from .connection import (
    DEFAULT_LOCK_WAIT,
    AgentDatabaseMissing,
    AgentStoreLocked,
    LockWait,
    check_files,
    lock_wait,
    read_only,
)
from .continuation import MAX_HOPS
from .cron_jobs import read_cron_job_names
from .essentials import DEFAULT_LIMIT
from .graph import LineageGraph
from .message_stats import MessageStats, message_stats
from .projects import cron_project_id
from .rows import RowContext, build_row, last_activity
from .schema import Schema, probe
from .sources import DEFAULT_MESSAGING_SOURCES, SOURCE_NAME
from .titles import is_default_title
from .webui_files import WebuiPresence

__all__ = [
    "DEFAULT_LIMIT",
    "STALE_ROWS_MAX_AGE",
    "WINDOW_FACTOR",
    "ListingOptions",
    "clear_cache",
    "list_agent_rows",
    "read_agent_rows",
]

logger = logging.getLogger(__name__)

WINDOW_FACTOR = 8
#: Seconds a locked store is still listed from the last successful read of it.
STALE_ROWS_MAX_AGE = 600.0
_HOOK = "hermes_sessions_list_rows"

_Built = tuple[tuple[dict[str, Any], ...], tuple[Problem, ...]]
_CACHE: TtlLruCache[_Built] = TtlLruCache()
# The last successful read per store and options, whatever the files' state: (when, rows).
_LAST_READ: OrderedDict[Hashable, tuple[float, tuple[dict[str, Any], ...]]] = OrderedDict()
_last_read_guard = threading.Lock()
_warned: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class ListingOptions:
    """What a caller asks for; part of the cache key."""

    limit: int = DEFAULT_LIMIT
    exclude_sources: frozenset[str] = frozenset()
    messaging: frozenset[str] = DEFAULT_MESSAGING_SOURCES
    #: ``webui`` rows are checked against the Web UI store after the cache, so they do not
    #: count towards the limit here; without a Web UI store nothing hides them.
    webui_checked_later: bool = False


def clear_cache() -> None:
    """Forget every cached listing and last successful read (tests, or after the host changed
    the store itself)."""
    _CACHE.clear()
    with _last_read_guard:
        _LAST_READ.clear()


def _warn_once(path: Path, message: str) -> None:
    key = (str(path), message)
    if key not in _warned:
        if len(_warned) > 256:
            _warned.clear()  # bounded: a flapping store may warn again, never grow memory
        _warned.add(key)
        logger.warning("agent sessions from %s: %s", path, message)


def _problem(error: BaseException, path: Path) -> Problem:
    _warn_once(path, f"{type(error).__name__}: {error}")
    return Problem.from_exception(SOURCE_NAME, _HOOK, error, path=str(path))


# ── reading one database ─────────────────────────────────────────────────────────────────────


def _window(connection: sqlite3.Connection, schema: Schema, options: ListingOptions) -> list[str]:
    """The most recently active rows that have live messages, 8 × the limit of them (S3.7)."""
    live = schema.live_messages("m")
    conditions = [
        f"EXISTS (SELECT 1 FROM messages m WHERE m.session_id = sessions.id AND {live})",
        schema.valid_id("sessions"),
    ]
    values: list[Any] = []
    if options.exclude_sources:
        excluded = sorted(options.exclude_sources)
        conditions.append(
            f"lower(COALESCE(source, '')) NOT IN ({', '.join('?' for _ in excluded)})"
        )
        values.extend(excluded)
    values.append(max(1, options.limit) * WINDOW_FACTOR)
    cursor = connection.execute(
        f"SELECT id FROM sessions WHERE {' AND '.join(conditions)} "
        f"ORDER BY {schema.activity_expression} DESC LIMIT ?",
        values,
    )
    return [str(row[0]) for row in cursor if row[0] is not None]


def _row_tip(graph: LineageGraph, end: str, stats: dict[str, MessageStats]) -> str | None:
    """The latest segment with messages on the tip path ending at ``end`` (S3.9)."""
    tip = end
    for _ in range(MAX_HOPS):
        if tip in stats:
            return tip
        parent = graph.continued_parent(tip)
        if parent is None or graph.next_segment(parent) != tip:
            return None
        tip = parent
    return tip if tip in stats else None


def _visible(row: dict[str, Any], segments: int) -> bool:
    """The CLI visibility rule (S3.13, #1587).

    Only ``cli`` rows are CLI-classified here: the legacy branch of S3.13 needs a row marked
    ``is_cli_session`` in Web UI metadata, which the agent's own records never are.
    """
    raw = row.get("raw_source")
    if raw != "cli" and row.get("session_source") != "cli":
        return True
    default_title = is_default_title(row.get("title"), raw)
    return segments > 1 or not default_title or int(row.get("user_message_count") or 0) >= 2


def read_agent_rows(
    db_path: Path,
    options: ListingOptions,
    context: RowContext,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
) -> list[dict[str, Any]]:
    """Rows of one database, newest first; database errors propagate.

    With ``options.webui_checked_later``, ``webui`` rows do not count towards the limit:
    whether the Web UI still holds them is asked per call (:func:`_without_webui_held`), after
    the cache, so a build serves every call until the database changes. Cutting those rows out
    and then at the limit gives what cutting as they are built would.
    """
    with read_only(db_path, busy_timeout) as connection:
        schema = probe(connection)
        if not schema.listable:
            raise sqlite3.DatabaseError(
                "the sessions table has no source column (or the messages table has no "
                "session_id): this store cannot be listed"
            )
        window = _window(connection, schema, options)
        graph = LineageGraph(connection, schema)
        graph.load(window)
        graph.load_ancestors(window)
        ancestors_only = set(graph.records) - set(window)
        graph.load_continuation_descendants(list(graph.records))
        stats = message_stats(connection, schema, list(graph.records))
    tips: dict[str, float] = {}
    for session_id in list(graph.records):
        if session_id in ancestors_only or graph.next_segment(session_id) is not None:
            continue
        tip = _row_tip(graph, session_id, stats)
        if tip is not None and tip not in tips:
            tips[tip] = last_activity(graph.records[tip], stats.get(tip)) or 0.0
    rows: list[dict[str, Any]] = []
    counted = 0
    # Rows are built newest first and only until the limit is met: the limit applies after
    # projection and visibility (S3.14), but nothing below it needs building.
    for tip in sorted(tips, key=lambda t: (tips[t], t), reverse=True):
        if counted >= options.limit:
            break
        walk = graph.walk(tip)
        row = build_row(graph, walk, stats, context)
        if row["raw_source"] in options.exclude_sources:
            continue
        if not _visible(row, len(walk.segments)):
            continue
        rows.append(row)
        if row["raw_source"] != "webui" or not options.webui_checked_later:
            counted += 1
    return rows


def _without_webui_held(
    rows: tuple[dict[str, Any], ...], limit: int, presence: WebuiPresence
) -> tuple[dict[str, Any], ...]:
    """The rows but the ``webui`` ones the Web UI store holds or deleted (S3.16), limited."""
    webui_ids = [row["session_id"] for row in rows if row.get("raw_source") == "webui"]
    hidden = presence.hidden(webui_ids) if webui_ids else frozenset()
    if not hidden and len(rows) <= limit:
        return rows
    return tuple(row for row in rows if row["session_id"] not in hidden)[:limit]


# ── the cached public entry point ────────────────────────────────────────────────────────────


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        result = os.stat(path)
    except OSError:
        return None
    return (result.st_size, result.st_mtime_ns)


def _fresh(row: dict[str, Any]) -> dict[str, Any]:
    """A copy no other caller holds: lists and dicts inside are copied too."""
    copy = dict(row)
    for key, value in copy.items():
        if isinstance(value, list):
            copy[key] = list(value)
        elif isinstance(value, dict):
            copy[key] = dict(value)
    return copy


def _build(
    locations: Locations, profile: str, db_path: Path, options: ListingOptions, wait: LockWait,
    cron_project: str | None,
) -> _Built:
    """Rows and problems, cron rows in project ``cron_project``; raises
    :class:`AgentStoreLocked`, which is never cached."""
    problems: list[Problem] = []
    jobs_path = locations.cron_jobs_file(profile)
    names = read_cron_job_names(jobs_path)
    if names.error is not None:
        problems.append(_problem(names.error, jobs_path))
    context = RowContext(
        profile=profile,
        messaging=options.messaging,
        cron_names=dict(names),
        cron_project_id=cron_project,
    )
    try:
        rows = read_agent_rows(db_path, options, context, wait)
    except AgentStoreLocked:
        raise
    except (sqlite3.Error, OSError) as error:
        problems.append(_problem(error, db_path))
        rows = []
    return tuple(rows), tuple(problems)


def _remember_read(key: Hashable, rows: tuple[dict[str, Any], ...]) -> None:
    with _last_read_guard:
        _LAST_READ[key] = (time.monotonic(), rows)
        _LAST_READ.move_to_end(key)
        while len(_LAST_READ) > MAX_KEYS:
            _LAST_READ.popitem(last=False)


def _while_locked(key: Hashable, error: AgentStoreLocked, db_path: Path) -> _Built:
    """The last successful read if it is recent enough, and a problem that says which."""
    with _last_read_guard:
        last = _LAST_READ.get(key)
    age = time.monotonic() - last[0] if last is not None else None
    if last is None or age is None or age > STALE_ROWS_MAX_AGE:
        return (), (_problem(error, db_path),)
    message = (
        f"state.db at {db_path} is locked by another process; agent sessions are shown from "
        f"the last successful read ({age:.0f} s ago) until it lets go"
    )
    _warn_once(db_path, "locked by another process; listing the last successful read")
    problem = Problem(SOURCE_NAME, _HOOK, type(error).__name__, message, path=str(db_path))
    return last[1], (problem,)


def list_agent_rows(
    locations: Locations,
    profile: str | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    exclude_sources: Iterable[str] = (),
    messaging_sources: Iterable[str] | None = None,
    ttl: float = DEFAULT_TTL,
    busy_timeout: float | LockWait = DEFAULT_LOCK_WAIT,
    webui_store: WebuiStoreFacts | None = None,
    projects: ProjectFacts | None = None,
) -> SourceListing:
    """The agent rows of ``profile`` (the active one by default); never raises for bad data.

    ``exclude_sources`` drops raw sources (the gateway watcher passes ``cron`` and ``webui``,
    S3.14). Results are cached for ``ttl`` seconds per database state (S3.23); each call gets
    rows of its own. ``busy_timeout`` bounds the wait for a writer's lock: seconds, or the
    :class:`~.connection.LockWait` a caller shares across several stores. ``webui_store``
    (the hook's ``context.webui_store``) hides ``webui`` rows the Web UI holds or deleted;
    ``projects`` (``context.projects``) names the profile's Cron Jobs project for cron rows.
    """
    name = locations.active_profile(profile)
    options = ListingOptions(
        limit=int(limit),
        exclude_sources=frozenset(s.strip().lower() for s in exclude_sources),
        messaging=(
            DEFAULT_MESSAGING_SOURCES
            if messaging_sources is None
            else frozenset(s.strip().lower() for s in messaging_sources)
        ),
        webui_checked_later=webui_store is not None,
    )
    wait = lock_wait(busy_timeout)
    db_path = locations.state_db(name)
    shm_path = Path(f"{db_path}-shm")
    store_key = (str(locations.base_home), str(db_path), name, options)
    # The keeper's answer, not its file, keys the cache: rows change when the project does.
    cron_project = None if "cron" in options.exclude_sources else cron_project_id(projects, name)
    fixed = (
        *store_key,
        _stat(db_path), _stat(Path(f"{db_path}-wal")),
        _stat(locations.cron_jobs_file(name)), cron_project,
    )
    key = (fixed, _stat(shm_path))
    try:
        check_files(db_path)
    except AgentDatabaseMissing as error:  # no agent on this machine: normal, not logged
        return SourceListing(SOURCE_NAME, (), (Problem.from_exception(
            SOURCE_NAME, _HOOK, error, path=str(db_path)),))
    except OSError as error:  # a FIFO or device where state.db or a side file belongs
        where = Path(getattr(error, "path", None) or db_path)
        return SourceListing(SOURCE_NAME, (), (_problem(error, where),))

    def build() -> _Built:
        built = _build(locations, name, db_path, options, wait, cron_project)
        if not any(problem.path == str(db_path) for problem in built[1]):
            _remember_read(store_key, built[0])
        return built

    try:
        # Our own read moves the -shm mtime; the entry is stored under the state it left
        # behind. The -wal stat stays the pre-read one, so a concurrent write still misses.
        rows, problems = _CACHE.get_or_build(
            key, ttl, build, key_after_build=lambda: (fixed, _stat(shm_path)),
        )
    except AgentStoreLocked as error:
        rows, problems = _while_locked(store_key, error, db_path)
    except Exception as error:  # noqa: BLE001 - a listing never raises (S0.3)
        return SourceListing(SOURCE_NAME, (), (_problem(error, db_path),))
    rows = _without_webui_held(rows, options.limit, WebuiPresence(webui_store))
    return SourceListing(
        SOURCE_NAME, tuple(SessionRow.adopt(_fresh(row)) for row in rows), problems
    )
