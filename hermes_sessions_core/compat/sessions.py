"""Web UI sessions: the original's ``Session``, get, new, list, and the private helpers the host
calls by name (index upkeep, stale-turn repair, lineage)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SessionNotFound, SessionUnreadable, StorageError
from ..gc_pause import collector_paused
from ..locations import DEFAULT_PROFILE
from ..models import Session as _CoreSession
from ..models import (
    is_valid_session_id,
    validate_project_id,
)
from ..pending_repair import needs_repair, repair_locked
from .host import (
    _UNSET,
    _active_profile,
    _configured_model,
    _hosted,
    _is_bound,
    _locations,
    _tolerated_profile,
    get_store,
)
from .projects import is_cron_session

if TYPE_CHECKING:
    from ..hookspecs import AgentTranscript
    from ..store import SessionStore

logger = logging.getLogger("hermes_sessions_core.compat")


class UnreadableSessionKeyError(SessionUnreadable, KeyError):
    """:class:`SessionUnreadable` that is also the ``KeyError`` the host answers with a 404,
    so a damaged file is a clear "not found" in the Web UI, never a 500."""

    def __str__(self) -> str:
        return SessionUnreadable.__str__(self)


# ── sessions ───────────────────────────────────────────────────────────────────────────────


class Session(_CoreSession):
    """The original's ``Session``: the same constructor keywords, ``save``, ``load``,
    ``load_metadata_only``, ``compact`` and ``path``; it saves through the shared store.

    Corrected: fields without a named parameter survive a save (S8.6); an empty workspace
    takes the default workspace, never the server's working directory (S8.7).
    """

    def __init__(
        self,
        session_id: str | None = None,
        title: str | None = "Untitled",
        workspace: Any = None,
        model: Any = _UNSET,
        messages: list[Any] | None = None,
        tool_calls: list[Any] | None = None,
        created_at: Any = None,
        updated_at: Any = None,
        **fields: Any,
    ) -> None:
        locations = _locations()
        if model is _UNSET:
            model = locations.default_model(_configured_model())
        fields.setdefault("_default_workspace", locations.default_workspace)
        super().__init__(
            session_id, title, workspace, model, messages, tool_calls, created_at, updated_at,
            **fields,
        )

    @property
    def _loaded_metadata_only(self) -> bool:
        """The original's flag for a metadata-only object, which the host checks before saving
        (#1558); such objects refuse ``save()`` (S2.15)."""
        return self.is_partial

    @property
    def path(self) -> Path:
        return _locations().session_dir / f"{self.session_id}.json"

    def save(self, touch_updated_at: bool = True, skip_index: bool = False) -> None:
        """Atomic write plus index row (S2.3, S2.6); refuses partial and read-only sessions."""
        if self._store is None:
            self.bind(get_store())
        super().save(touch_updated_at=touch_updated_at, skip_index=skip_index)

    @classmethod
    def load(cls, sid: Any) -> Session | None:
        """The Web UI session file ``sid``, freshly read; None for bad ids or no file.

        Corrected: a file that does not parse raises ``SessionUnreadable`` naming the file
        (the original leaked ``JSONDecodeError``, S8.18); ids with ``-`` load (S8.13).
        """
        return _load_webui(sid, metadata_only=False)

    @classmethod
    def load_metadata_only(cls, sid: Any) -> Session | None:
        """Metadata without the transcript (64 KB at most, S2.11); cannot be saved (S2.15).

        Corrected: its ``compact()`` reports the recorded ``user_message_count`` (S8.17).
        """
        return _load_webui(sid, metadata_only=True)


def _adopt(session: _CoreSession) -> Session:
    """Give a store-built session this module's class, so host ``isinstance`` checks hold."""
    if type(session) is _CoreSession:
        session.__class__ = Session
    return session  # type: ignore[return-value]


def _load_webui(sid: Any, metadata_only: bool) -> Session | None:
    if not is_valid_session_id(sid):
        return None
    store = get_store()
    writable = store.dispatcher.writable_source()
    if writable is None:
        return None
    try:  # only the Web UI store: another source's state (a locked state.db) is not asked
        session, _ = store.dispatcher.load_session(
            store.context(), sid, metadata_only, enabled=lambda name: name == writable.info.name
        )
    except SessionNotFound:
        return None
    session.bind(store)
    return _adopt(session)


def get_session(sid: Any, metadata_only: bool = False) -> Session:
    """A Web UI session: the cached object, else loaded (and cached when full); KeyError if none.

    As the original, sessions of other sources (agent-only, Claude Code) are not found here;
    read them with :func:`get_cli_session_messages`. Stale interrupted turns are repaired on a
    cache miss (S2.36). A file that does not parse raises :class:`UnreadableSessionKeyError`,
    naming the file (a ``KeyError`` too, which the host answers with a 404); its bytes are left
    alone.
    """
    try:
        session = get_store().get(sid, metadata_only=metadata_only)
    except SessionUnreadable as error:
        logger.warning("%s", error)
        raise UnreadableSessionKeyError(error.session_id, error.path, error.cause) from None
    except StorageError:
        # Another source could not be read (a locked state.db): for the Web UI the id is
        # simply not one of its sessions unless its own store holds it.
        if _load_webui(sid, metadata_only=True) is None:
            raise SessionNotFound(sid) from None
        raise
    if session.read_only:
        raise SessionNotFound(sid)
    return _adopt(session)


def new_session(
    workspace: Any = None,
    model: str | None = None,
    profile: str | None = None,
    model_provider: str | None = None,
    project_id: str | None = None,
    worktree_info: Mapping[str, Any] | None = None,
) -> Session:
    """A session in memory only until its first save (S2.28); worktree sessions save at once.

    ``profile`` defaults to the host's active profile (#798). An invalid or traversing name is
    tolerated as the host's own profile helpers tolerate it: logged once and taken as
    ``default``, never stored or used as a path (S7.2, S7.3).
    """
    if project_id is not None:
        validate_project_id(project_id)
    chosen = _tolerated_profile(profile) if profile is not None else _active_profile()
    session = get_store().new_session(
        workspace=workspace, model=model, profile=chosen, model_provider=model_provider,
        project_id=project_id, worktree_info=worktree_info,
    )
    return _adopt(session)


def all_sessions(diag: Any = None) -> list[dict[str, Any]]:
    """Web UI rows of every profile, pinned first, newest first; drafts and cron hidden.

    Rows without a profile report ``default``. An index row whose file is gone stays while the
    host's ``_index_entry_exists`` says the session exists; lineage keys come from the host's
    ``_enrich_sidebar_lineage_metadata``, by default each row's own profile's agent store
    (corrected, S8.15), and pinned rows stay first (S8.16). ``diag`` gets the original's stage
    names.
    """
    with collector_paused():  # see gc_pause: the rows are built, copied and enriched here
        return _all_sessions(diag)


def _all_sessions(diag: Any) -> list[dict[str, Any]]:
    _stage(diag, "all_sessions.active_streams")
    from .shared_store import _CompatStore

    store = get_store()
    assert isinstance(store, _CompatStore)
    exists = _hosted("_index_entry_exists")
    in_memory = frozenset(store.cached_ids())
    with store.writable_only():
        listing = store.list_sessions(
            _active_profile(), all_profiles=True, include_archived=True, include_cron=False,
            row_exists=lambda session_id: bool(exists(session_id, in_memory_ids=in_memory)),
            enrich_lineage=False,
            stage=lambda name: _stage(diag, _ORIGINAL_STAGES[name]),
        )
    rows = listing.as_dicts()
    _stage(diag, "all_sessions.lineage_metadata")
    _hosted("_enrich_sidebar_lineage_metadata")(rows)
    return rows


#: The store's listing phases under the original's diagnostic stage names.
_ORIGINAL_STAGES = {
    "rows": "all_sessions.read_index",
    "overlay": "all_sessions.overlay_lock",
    "sidebar": "all_sessions.sort_filter",
}


def _stage(diag: Any, name: str) -> None:
    if diag is not None:
        try:
            diag.stage(name)
        except Exception:  # diagnostics never break a listing
            logger.debug("diagnostics stage %s failed", name, exc_info=True)


# ── the original's helpers that the host calls by name ────────────────────────────────────


def _write_session_index(updates: Iterable[Any] | None = None) -> None:
    """Bring ``_index.json`` up to date: the rows of ``updates`` (sessions), or every row.

    The host calls this after changing session files behind the store (restores, imports);
    with no ``updates`` the index is rebuilt from the files (S2.9).
    """
    store = get_store()
    if updates is None:
        store.rebuild_index()
        return
    for session in updates:
        if isinstance(session, _CoreSession) and not session.is_partial:
            store.reindex_session(session)


def _index_entry_exists(session_id: Any, in_memory_ids: Iterable[str] | None = None) -> bool:
    """Whether a row still has a session behind it: in memory or a file (S2.8)."""
    if not session_id:
        return False
    store = get_store()
    ids = set(in_memory_ids) if in_memory_ids is not None else set(store.cached_ids())
    if session_id in ids:
        return True
    return _load_webui(session_id, metadata_only=True) is not None


def _hide_from_default_sidebar(session: Mapping[str, Any]) -> bool:
    """Cron sessions stay out of the default sidebar (S5.5, S6.3)."""
    source = session.get("source_tag") or session.get("source")
    return is_cron_session(session.get("session_id"), source)


def _enrich_sidebar_lineage_metadata(sessions: list[dict[str, Any]]) -> None:
    """Add compression-lineage keys to rows in place, each from its own profile's store (S6.11).

    Corrected: rows of other profiles are enriched from their own store, never the active
    one's (S8.15).
    """
    store = get_store()
    by_profile: dict[str, set[str]] = {}
    for row in sessions:  # every sidebar row, on every poll: kept lean
        session_id = row.get("session_id")
        if type(session_id) is str and session_id:
            profile = row.get("profile") or DEFAULT_PROFILE
            if type(profile) is not str:
                profile = str(profile)
            ids = by_profile.get(profile)
            if ids is None:
                ids = by_profile[profile] = set()
            ids.add(session_id)
    metadata: dict[str, Mapping[str, Any]] = {}
    for profile, ids in by_profile.items():
        found, _problems = store.dispatcher.lineage_metadata(
            store.context(), profile, frozenset(ids)
        )
        metadata.update(found)
    if not metadata:
        return
    from ..aggregate import lineage_additions

    for row in sessions:
        session_id = row.get("session_id")
        keys = metadata.get(session_id) if type(session_id) is str else None
        if keys:
            row.update(lineage_additions(row, keys))


def _repair_stale_pending(session: Any) -> bool:
    """Repair a session whose turn was interrupted, if it is stale (S2.36-S2.39); never raises.

    The steps are the original's, each through the host module so a host can replace one:
    the grace check, then the session's lock taken without waiting, then
    ``_apply_core_sync_or_error_marker`` with the agent transcript of the session's profile.
    """

    try:
        seen_stream = session.active_stream_id
        live = frozenset(_hosted("_active_stream_ids")())
        grace = float(_hosted("_REPAIR_STALE_PENDING_GRACE_SECONDS"))
        if not needs_repair(session, live, grace_seconds=grace):
            return False
        session_id = session.session_id
        if not is_valid_session_id(session_id):
            return False
        home = Path(_hosted("_get_profile_home")(getattr(session, "profile", None)))
        core_path = home / "sessions" / f"session_{session_id}.json"
        if _is_bound():
            lock = _hosted("_get_session_agent_lock")(session_id)
        else:
            lock = get_store().session_lock(session_id)
        if not lock.acquire(blocking=False):
            return False  # the caller holds it (retry, undo, cancel): never deadlock
        try:
            return bool(_hosted("_apply_core_sync_or_error_marker")(
                session, core_path, stream_id_for_recheck=seen_stream
            ))
        finally:
            lock.release()
    except Exception:
        logger.exception("repair of a stale pending turn failed")
        return False


def _apply_core_sync_or_error_marker(
    session: Any,
    core_path: Any,
    stream_id_for_recheck: str | None = None,
    *,
    require_stream_dead: bool = True,
) -> bool:
    """The repair itself, for a caller that already holds the session's lock (S2.37-S2.39).

    Adopts the agent transcript at ``core_path`` when the session has no messages, else
    restores the pending prompt with an error marker; never raises.
    """
    store = get_store()
    return repair_locked(
        session,
        lambda: frozenset(_hosted("_active_stream_ids")()),
        lambda: _agent_transcript_at(store, session.session_id, core_path),
        lambda s: store.save(s),
        expected_stream=stream_id_for_recheck,
        require_stream_dead=require_stream_dead,
    )


def _agent_transcript_at(
    store: SessionStore, session_id: str, core_path: Any
) -> AgentTranscript | None:
    """The agent's record at the host's ``<profile home>/sessions/session_<id>.json``, asked of
    the source that owns the agent's files with that profile home; a path of any other shape
    names no agent record of this session."""
    if not core_path:
        return None
    path = Path(os.fspath(core_path))
    if path.name != f"session_{session_id}.json" or path.parent.name != "sessions":
        logger.info("not an agent transcript of session %s: %s", session_id, path)
        return None
    home = path.parent.parent
    locations = replace(store.locations, profile_home_resolver=lambda _profile: home)
    return store.agent_transcript(session_id, None, locations)
