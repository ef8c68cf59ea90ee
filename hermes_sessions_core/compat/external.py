"""Agent and Claude Code sessions: rows, transcripts, imports, rounds and deletes, through the
sources' hooks (S3, S4)."""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SessionNotFound
from ..locations import validate_profile_name
from ..models import (
    MESSAGING_IDENTITY_FIELDS,
    is_valid_session_id,
    require_valid_session_id,
)
from ..transcript_rules import merge_messaging_transcripts, replaces_stored_transcript
from .host import (
    _CLI_SESSIONS_CACHE_TTL_SECONDS,
    _SOURCE_FIELDS,
    CLAUDE_CODE_MAX_FILE_BYTES,
    CLAUDE_CODE_MAX_FILES,
    CLAUDE_CODE_SOURCE,
    _active_profile,
    _active_state_db,
    _existing_last_workspace,
    _hosted,
    _locations,
    _replaced_row_reader,
    get_store,
)
from .projects import is_cron_session
from .sessions import Session, _adopt, _load_webui

if TYPE_CHECKING:
    from ..hookspecs import SourceContext
    from ..store import SessionStore

logger = logging.getLogger("hermes_sessions_core.compat")


# ── importing agent sessions ───────────────────────────────────────────────────────────────


def _agent_row(session_id: str) -> dict[str, Any]:
    """The agent store's row of ``session_id`` (workspace, source and identity fields)."""
    store = get_store()
    try:
        session, _source = store.dispatcher.load_session(
            store.context(), session_id, True, _agent_sources(store).__contains__
        )
    except SessionNotFound:
        return {}
    except Exception as error:  # noqa: BLE001 - an unreadable store only loses the extras
        logger.warning("agent row of %s unavailable for import: %s", session_id, error)
        return {}
    row = session.compact()
    if row.get("workspace") == store.locations.default_workspace:
        row["workspace"] = None  # the agent recorded no cwd (S3.16): the import picks one
    return row


def import_cli_session(
    session_id: str,
    title: str,
    messages: Any,
    model: str = "unknown",
    profile: str | None = None,
    created_at: Any = None,
    updated_at: Any = None,
    parent_session_id: str | None = None,
) -> Session:
    """Save an agent session as a Web UI session with the same id (S3.24, S3.25).

    Timestamps are kept, never bumped. The workspace is the agent row's ``cwd``, else the
    profile's last workspace. A re-import replaces the stored messages only with a longer
    transcript that starts with them, or an equal one that only adds tool metadata; missing
    source fields and ``parent_session_id`` are filled in. Cron imports join the profile's
    Cron Jobs project; messaging imports keep their identity fields (#1079). Raises
    ``InvalidSessionId`` or ``InvalidProfileName`` for bad input, before anything is written.
    """
    require_valid_session_id(session_id)
    if profile is not None:
        validate_profile_name(profile)
    fresh = list(messages) if isinstance(messages, (list, tuple)) else []
    owner = profile or _active_profile()
    store = get_store()
    row = _agent_row(session_id)
    cron = is_cron_session(session_id, row.get("source_tag") or row.get("raw_source"))
    with store.session_lock(session_id):
        try:
            existing = store.get(session_id)
        except SessionNotFound:
            existing = None
        if existing is not None and existing.read_only:
            existing = None  # the agent's own read-only view, not a Web UI copy
        if existing is None:
            extras: dict[str, Any] = {
                name: row[name] for name in (*_SOURCE_FIELDS, *MESSAGING_IDENTITY_FIELDS)
                if row.get(name) is not None
            }
            if row:
                extras["is_cli_session"] = True
            if cron:
                extras["project_id"] = store.ensure_cron_project(owner)
            session = Session(
                session_id=session_id, title=title, model=model, messages=fresh,
                workspace=row.get("workspace") or _existing_last_workspace(owner),
                profile=profile, created_at=created_at, updated_at=updated_at,
                parent_session_id=parent_session_id, **extras,
            )
            session.bind(store)
            store.save(session, touch_updated_at=False)
            return session
        changed = False
        if replaces_stored_transcript(existing.messages, fresh):
            existing.messages = fresh
            if updated_at:
                existing.updated_at = updated_at
            changed = True
        for name in (*_SOURCE_FIELDS, *MESSAGING_IDENTITY_FIELDS):
            if getattr(existing, name, None) in (None, "") and row.get(name) is not None:
                setattr(existing, name, row[name])
                changed = True
        if parent_session_id and not existing.parent_session_id:
            existing.parent_session_id = parent_session_id
            changed = True
        if cron and not existing.project_id:
            existing.project_id = store.ensure_cron_project(existing.profile or owner)
            changed = True
        if changed:
            store.save(existing, touch_updated_at=False)
        return _adopt(existing)


def get_messaging_session_messages(sid: Any) -> list[Any]:
    """The agent transcript merged with the Web UI copy's messages, if one exists (S3.26)."""
    agent = get_cli_session_messages(sid)
    session = _load_webui(sid, metadata_only=False)
    return merge_messaging_transcripts(agent, session.messages if session is not None else [])


# ── agent and Claude Code sessions ─────────────────────────────────────────────────────────


def _claude_code_sources(store: SessionStore) -> set[str]:
    """Enabled sources that own Claude Code ids (the built-in one unless blocked)."""
    probe = f"{CLAUDE_CODE_SOURCE}_0"
    return {
        source.info.name for source in store.dispatcher.ordered_sources()
        if source.info.owns_prefix(probe) and store.source_enabled(source.info.name)
    }


def _agent_sources(store: SessionStore) -> set[str]:
    """Enabled read-only sources without an id prefix: the agent store (S3)."""
    return {
        source.info.name for source in store.dispatcher.ordered_sources()
        if not source.info.writable and not source.info.id_prefixes
        and store.source_enabled(source.info.name)
    }


def _other_agent_sources(store: SessionStore) -> set[str]:
    """Enabled read-only sources of other agents with their own id prefix, besides Claude
    Code (Codex, Gemini CLI, OpenCode, third-party ones): the host lists them with the CLI
    sessions, where it shows Claude Code's."""
    claude = _claude_code_sources(store)
    return {
        source.info.name for source in store.dispatcher.ordered_sources()
        if not source.info.writable and source.info.id_prefixes
        and source.info.name not in claude and store.source_enabled(source.info.name)
    }


def _other_agent_rows(profile: str) -> list[dict[str, Any]]:
    """Rows of the other agents' sources, newest first within each; problems logged once."""
    from ..hookspecs import ListRequest

    store = get_store()
    names = _other_agent_sources(store)
    if not names:
        return []
    request = ListRequest(profile=profile, profiles=(profile,), include_archived=False)
    listings = store.dispatcher.list_rows(store.context(), request, names.__contains__)
    for problem in (p for listing in listings for p in listing.problems):
        _warn_once(f"get_cli_sessions(): {problem.describe()}")
    return [row.to_dict() for listing in listings for row in listing.rows
            if not row.get("archived")]


def _claude_context(store: SessionStore, projects_dir: Any, **limits: int) -> SourceContext:
    """The store's context, with an explicit projects folder and listing limits if given."""
    locations = store.locations
    if projects_dir is not None:
        root = Path(os.path.expanduser(os.fspath(projects_dir)))
        locations = replace(locations, claude_projects_dirs=(root,))
    settings: dict[str, Mapping[str, Any]] = dict(store.settings)
    for name in _claude_code_sources(store):
        settings[name] = {**store.settings.get(name, {}), **limits}
    return store.context(locations, settings)


def get_claude_code_sessions(
    projects_dir: Any = None,
    *,
    max_files: int = CLAUDE_CODE_MAX_FILES,
    max_file_bytes: int = CLAUDE_CODE_MAX_FILE_BYTES,
) -> list[dict[str, Any]]:
    """Claude Code transcripts as read-only rows, newest first (S4), from the Claude Code
    source through the dispatcher (a blocked or disabled source lists nothing).

    Corrected (S8.12, S8.22-S8.25): the newest files are chosen, never by name; subagent files
    are not sessions; titles skip harness markup; large files are read head and tail instead
    of skipped; ``workspace`` is the transcript's ``cwd``.
    """
    from ..hookspecs import ListRequest

    store = get_store()
    names = _claude_code_sources(store)
    if not names:
        return []
    context = _claude_context(store, projects_dir, max_files=max_files,
                              max_file_bytes=max_file_bytes)
    request = ListRequest(profile=_active_profile(), include_archived=True, include_cron=True)
    listings = store.dispatcher.list_rows(context, request, names.__contains__)
    return [
        _in_original_shape(row, _CLAUDE_ROW_KEYS) for listing in listings for row in listing.rows
    ]


def get_claude_code_session_messages(sid: Any, projects_dir: Any = None) -> list[dict[str, Any]]:
    """One Claude Code transcript; ``[]`` for other ids or a vanished file (S4.20)."""
    session_id = str(sid or "")
    if not session_id.startswith(f"{CLAUDE_CODE_SOURCE}_"):
        return []
    store = get_store()
    names = _claude_code_sources(store)
    transcript = store.dispatcher.read_messages(
        _claude_context(store, projects_dir), session_id, None, names.__contains__
    )
    return list(transcript.messages) if transcript is not None else []


def clear_cli_sessions_cache() -> None:
    """Forget cached agent listings (the next call rescans ``state.db``)."""
    with _cli_rows_lock:
        _cli_rows_cache.clear()


def _webui_titles(profile: str) -> dict[str, str]:
    from ..aggregate import renamed_titles
    from ..hookspecs import ListRequest

    store = get_store()
    writable = store.dispatcher.writable_source()
    if writable is None:
        return {}
    request = ListRequest(profile=profile, profiles=(profile,), include_archived=True,
                          include_cron=True)
    listings = store.dispatcher.list_rows(
        store.context(), request, lambda name: name == writable.info.name
    )
    return renamed_titles(row for listing in listings for row in listing.rows)


#: The keys of the original's agent rows, in its order (the host's pages read these).
_AGENT_ROW_KEYS = (
    "session_id", "title", "workspace", "model", "message_count", "created_at", "updated_at",
    "pinned", "archived", "project_id", "profile", "source_tag", "raw_source", "user_id",
    "chat_id", "chat_type", "thread_id", "session_key", "platform", "session_source",
    "source_label", "parent_session_id", "parent_title", "parent_source", "relationship_type",
    "_parent_lineage_root_id", "end_reason", "actual_message_count", "user_message_count",
    "_lineage_root_id", "_lineage_tip_id", "_compression_segment_count", "is_cli_session",
)
#: The keys of the original's Claude Code rows, in its order.
_CLAUDE_ROW_KEYS = (
    "session_id", "title", "workspace", "model", "message_count", "created_at", "updated_at",
    "last_message_at", "pinned", "archived", "project_id", "profile", "source_tag",
    "raw_source", "session_source", "source_label", "is_cli_session", "read_only",
)
_cli_rows_cache: dict[tuple[Any, ...], tuple[float, list[dict[str, Any]]]] = {}
_cli_rows_lock = threading.Lock()


def _in_original_shape(row: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: row.get(key) for key in keys}


def _stat_key(path: Any) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return (info.st_mtime_ns, info.st_size)


def _cli_rows_key(profile: str) -> tuple[Any, ...]:
    """What the agent and Claude Code rows depend on: profile, databases, folders, index."""
    database = _active_state_db()
    claude_root = _default_claude_code_projects_dir()
    return (
        profile, str(database), _stat_key(database), _stat_key(f"{database}-wal"),
        _stat_key(f"{database}-shm"), str(claude_root), _stat_key(claude_root),
        _stat_key(_locations().session_dir / "_index.json"),
    )


def get_cli_sessions() -> list[dict[str, Any]]:
    """Claude Code rows, then the active profile's agent rows (at most 20), as the original.

    A Web UI title under the row id or any chain segment wins (#1486). Never raises. Results
    are reused for ``_CLI_SESSIONS_CACHE_TTL_SECONDS`` while the databases, the Claude Code
    folder and the index are unchanged; callers get copies. Rows have the original's keys.
    Corrected: listing never creates the Cron Jobs project (S8.20); cron rows carry its id only
    when it exists. Chains are one row (S3.9); ``workspace`` is the agent's ``cwd`` (S3.16).
    """
    try:
        ttl = max(0.0, float(_hosted("_CLI_SESSIONS_CACHE_TTL_SECONDS")))
    except (TypeError, ValueError):
        ttl = float(_CLI_SESSIONS_CACHE_TTL_SECONDS)
    profile = _active_profile()
    key = _cli_rows_key(profile) if ttl > 0 else None
    now = time.monotonic()
    if key is not None:
        with _cli_rows_lock:
            cached = _cli_rows_cache.get(key)
            if cached is not None and cached[0] > now:
                return copy.deepcopy(cached[1])
    rows = _read_cli_rows(profile)
    if key is not None:
        with _cli_rows_lock:
            _cli_rows_cache.clear()  # one entry: only the newest answer can be current
            _cli_rows_cache[key] = (now + ttl, copy.deepcopy(rows))
    return rows


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """Log a problem the first time it is met: the host polls the sidebar every few seconds."""
    if message not in _warned:
        _warned.add(message)
        logger.warning("%s", message)


def _read_cli_rows(profile: str) -> list[dict[str, Any]]:
    from ..aggregate import with_renamed_title

    rows: list[dict[str, Any]] = []
    try:
        rows.extend(_hosted("get_claude_code_sessions")())
    except Exception:
        logger.debug("Claude Code session scan failed", exc_info=True)
    try:
        rows.extend(_other_agent_rows(profile))
    except Exception:  # noqa: BLE001 - other agents' rows never empty the list
        logger.debug("other agents' session scan failed", exc_info=True)
    reader = _replaced_row_reader()
    if reader is not None:
        try:
            rows.extend(_rows_from_host_reader(reader, profile))
        except Exception as error:  # noqa: BLE001 - the host's reader never empties the list
            logger.warning("get_cli_sessions() failed for %s: %s", _active_state_db(), error)
        return rows
    from ..hookspecs import ListRequest

    store = get_store()
    request = ListRequest(
        profile=profile, profiles=(profile,), include_archived=True, include_cron=True,
        limit=int(_hosted("CLI_VISIBLE_SESSION_LIMIT")),
    )
    listings = store.dispatcher.list_rows(store.context(), request,
                                          _agent_sources(store).__contains__)
    for problem in (p for listing in listings for p in listing.problems):
        if problem.error_type != "AgentDatabaseMissing":  # no agent on this machine is normal
            _warn_once(f"get_cli_sessions(): {problem.describe()}")
    agent_rows = [row for listing in listings for row in listing.rows]
    try:
        titles = _webui_titles(profile) if agent_rows else {}
    except Exception as error:  # noqa: BLE001 - titles are an overlay; rows still list
        logger.warning("get_cli_sessions(): Web UI titles unavailable: %s", error)
        titles = {}
    fallback_workspace: str | None = None
    for row in agent_rows:
        values = row.to_dict()
        if not values.get("workspace"):
            # The agent recorded no cwd (S3.16): the host's pages want a folder, as before.
            if fallback_workspace is None:
                fallback_workspace = (
                    _existing_last_workspace(profile) or _locations().default_workspace
                )
            values["workspace"] = fallback_workspace
        values["title"] = with_renamed_title(row, titles)["title"]
        rows.append(_in_original_shape(values, _AGENT_ROW_KEYS))
    return rows


def _default_claude_code_projects_dir() -> Path | None:
    """The first Claude Code projects folder this machine uses (S4.1)."""
    roots = _locations().claude_projects_roots()
    return roots[0] if roots else None


def _rows_from_host_reader(
    reader: Callable[..., Iterable[Mapping[str, Any]]], profile: str
) -> list[dict[str, Any]]:
    """Rows in the original's shape from a host reader's records (``id``, ``title``, ``source``,
    ``started_at``, ``last_activity``, counts, identity); titles fall back as S3.15 step 3."""
    workspace = _existing_last_workspace(profile) or _locations().default_workspace
    limit = int(_hosted("CLI_VISIBLE_SESSION_LIMIT"))
    rows = []
    for record in reader(_active_state_db(), limit=limit, log=logger, exclude_sources=None):
        source = str(record.get("source") or "cli")
        values = {
            **record,
            "session_id": record.get("id"),
            "title": record.get("title") or f"{source.title()} Session",
            "workspace": workspace,
            "model": record.get("model") or None,
            "message_count": record.get("message_count") or record.get("actual_message_count") or 0,
            "created_at": record.get("started_at"),
            "updated_at": record.get("last_activity") or record.get("started_at"),
            "pinned": False,
            "archived": False,
            "project_id": None,
            "profile": profile,
            "source_tag": source,
            "chat_id": record.get("chat_id") or record.get("origin_chat_id"),
            "user_message_count": record.get("actual_user_message_count"),
            "is_cli_session": True,
        }
        rows.append(_in_original_shape(values, _AGENT_ROW_KEYS))
    return rows


def get_cli_session_messages(sid: Any) -> list[dict[str, Any]]:
    """An agent, Claude Code or other agent's transcript of the active profile; ``[]`` on any
    error.

    Corrected: a session whose parents are continuations opens stitched, not empty (S8.1).
    """
    session_id = str(sid or "")
    if session_id.startswith(f"{CLAUDE_CODE_SOURCE}_"):
        return list(_hosted("get_claude_code_session_messages")(session_id))
    if not is_valid_session_id(session_id):
        return []
    store = get_store()
    readers = _agent_sources(store) | _other_agent_sources(store)
    try:
        transcript = store.dispatcher.read_messages(
            store.context(), session_id, None, readers.__contains__
        )
    except Exception:  # noqa: BLE001 - the original returned [] on any error
        logger.debug("transcript of %s unavailable", session_id, exc_info=True)
        return []
    return list(transcript.messages) if transcript is not None else []


def count_conversation_rounds(sid: Any, since: float | None = None) -> int:
    """Completed user→assistant exchanges in the active profile's store; 0 on error.

    Corrected (S8.2): the connection is closed, ties break by row id, chain segments count,
    and with ``since`` unparseable times are left out.
    """
    session_id = str(sid or "")
    if not is_valid_session_id(session_id):
        return 0
    return get_store().count_rounds(session_id, _active_profile(), since)


def delete_cli_session(sid: Any) -> bool:
    """Delete an agent session and the segments its row collapsed; True if a row existed.

    Corrected (S8.20): older segments go too, so they cannot resurface. Raises
    ``InvalidSessionId`` for a malformed id instead of returning False.
    """
    session_id = require_valid_session_id(sid)
    store = get_store()
    return any(store.delete_from_source(session_id, name) for name in sorted(_agent_sources(store)))
