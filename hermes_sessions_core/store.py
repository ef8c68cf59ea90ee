"""The store the host talks to: get, create, save, delete, list, with an LRU cache and locks (S2).

It owns what only memory can hold (unsaved new sessions, the cache of full sessions, one lock
per session) and delegates storage to the source plugins through :mod:`.dispatch`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from .aggregate import SidebarOptions, build_sidebar
from .dispatch import Dispatcher, Source
from .errors import (
    HermesSessionsError,
    InvalidProfileName,
    PartialSessionSaveError,
    ReadOnlySessionError,
    SessionConflict,
    SessionNotFound,
)
from .gc_pause import collector_paused
from .hookspecs import AgentTranscript, ListRequest, MaintenanceRequest, SourceContext
from .locations import DEFAULT_PROFILE, Locations, validate_profile_name
from .manager import SessionsPluginManager, make_plugin_manager
from .models import (
    ROLE_AGENT_STORE,
    Problem,
    Session,
    SessionRow,
    SidebarListing,
    SourceListing,
    Transcript,
    require_valid_session_id,
)
from .pending_repair import needs_repair, repair_interrupted_turn

if TYPE_CHECKING:
    from .search import SearchResults

__all__ = ["SessionStore", "SAVE_MODES", "DEFAULT_CACHE_SIZE"]

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 100
SAVE_MODES = ("deferred", "eager")


class SessionStore:
    """Sessions from every source, for one host process.

    ``live_stream_ids`` returns the host's running streams; ``last_workspace(profile)`` the
    profile's last workspace; ``configured_model`` the host's ``model`` config (S7.8). Each
    defaults to "nothing known". ``enabled_sources`` switches sources on or off by name
    (the Web UI store is always on, S6.1).

    A host that already keeps sessions in memory hands over its own ``cache`` (an ordered
    mapping, most recently used last), the ``cache_lock`` guarding it and its
    ``session_lock(session_id)`` factory, so host and store share one cache and one set of
    locks and can never disagree.
    """

    def __init__(
        self,
        locations: Locations | None = None,
        *,
        plugin_manager: SessionsPluginManager | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        live_stream_ids: Callable[[], Iterable[str]] | None = None,
        last_workspace: Callable[[str | None], str | None] | None = None,
        configured_model: Callable[[], object] | None = None,
        show_cli_sessions: bool = True,
        enabled_sources: Mapping[str, bool] | None = None,
        save_mode: str = "deferred",
        cli_row_limit: int = 20,
        enrich_limit: int = 300,
        cache: OrderedDict[str, Session] | None = None,
        cache_lock: Any = None,
        session_lock: Callable[[str], Any] | None = None,
    ) -> None:
        self.locations = locations or Locations.from_environment()
        self.plugin_manager = plugin_manager or make_plugin_manager()
        self.settings = dict(settings or {})
        # The dispatcher asks each plugin for its source_info now, within core.call_timeout.
        self.dispatcher = Dispatcher(self.plugin_manager, settings=self.settings)
        self.cache_size = max(1, int(cache_size))
        self._live_stream_ids = live_stream_ids or (lambda: ())
        self._last_workspace = last_workspace or (lambda profile: None)
        self._configured_model = configured_model or (lambda: None)
        self.show_cli_sessions = show_cli_sessions
        self.enabled_sources = dict(enabled_sources or {})
        self.save_mode = save_mode if save_mode in SAVE_MODES else "deferred"
        self.cli_row_limit = cli_row_limit
        self.enrich_limit = enrich_limit
        self._cache: OrderedDict[str, Session] = OrderedDict() if cache is None else cache
        self._unsaved: set[str] = set()
        # Guards only the cache map (S2.33); never held while a hook runs.
        self._cache_lock = threading.Lock() if cache_lock is None else cache_lock
        self._host_session_lock = session_lock
        self._session_locks: dict[str, threading.Lock] = {}
        self._source_state: dict[str, Any] = {}  # SourceContext.state: sources' per-store objects
        self._locks_lock = threading.Lock()

    # ── context ──────────────────────────────────────────────────────────────────────────

    def live_stream_ids(self) -> frozenset[str]:
        try:
            return frozenset(self._live_stream_ids())
        except Exception:
            logger.exception("the host's live-stream callback failed; treating no stream as live")
            return frozenset()

    def context(
        self,
        locations: Locations | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> SourceContext:
        """What hooks receive; ``locations`` or ``settings`` replace the store's for one call
        (an explicit folder, tighter limits)."""
        return self._context_of(
            locations or self.locations,
            self.settings if settings is None else settings,
            self.live_stream_ids(),
        )

    def _context_of(
        self, locations: Locations, settings: Mapping[str, Mapping[str, Any]],
        live: frozenset[str],
    ) -> SourceContext:
        """A context whose ``webui_store`` asks the Web UI store, and whose ``projects`` the
        projects keeper, with this same context, what they hold: plugins get another source's
        facts only through the core (STYLE 11)."""
        plain = SourceContext(locations, settings, live, self._source_state)
        dispatcher = self.dispatcher
        return SourceContext(
            locations, settings, live, self._source_state,
            dispatcher.webui_store_facts(plain), dispatcher.project_facts(plain),
        )

    def source_enabled(self, name: str) -> bool:
        writable = self.dispatcher.writable_source()
        if writable is not None and name == writable.info.name:
            return True
        if not self.show_cli_sessions and name in self._agent_store_names():
            return False
        return self.enabled_sources.get(name, True)

    def _agent_store_names(self) -> frozenset[str]:
        """Sources with the agent-store role: the "show agent sessions" switch covers them."""
        return frozenset(s.info.name for s in self.dispatcher.sources_with_role(ROLE_AGENT_STORE))

    @property
    def problems(self) -> list[Problem]:
        """Every distinct failure isolated so far: plugin loading, hooks, sources."""
        return list(self.dispatcher.problems)

    # ── locks and cache ──────────────────────────────────────────────────────────────────

    def session_lock(self, session_id: str) -> threading.Lock:
        """The session's non-reentrant lock, shared with streaming, retry, undo, cancel (S2.33)."""
        if self._host_session_lock is not None:
            return self._host_session_lock(session_id)  # type: ignore[no-any-return]
        with self._locks_lock:
            lock = self._session_locks.get(session_id)
            if lock is None:
                lock = self._session_locks[session_id] = threading.Lock()
            return lock

    def _remember(self, session: Session) -> None:
        with self._cache_lock:
            self._cache[session.session_id] = session
            self._cache.move_to_end(session.session_id)
            self._evict_locked()

    def _evict_locked(self) -> None:
        """Evict least recently used sessions that are safe to drop (S2.32, #6083)."""
        overflow = len(self._cache) - self.cache_size
        if overflow <= 0:
            return
        live = self.live_stream_ids()
        for session_id in list(self._cache):
            if overflow <= 0:
                break
            session = self._cache[session_id]
            if session_id in self._unsaved or session.pending_user_message:
                continue
            if session.active_stream_id and session.active_stream_id in live:
                continue
            del self._cache[session_id]
            overflow -= 1

    def cached_ids(self) -> list[str]:
        with self._cache_lock:
            return list(self._cache)

    def forget(self, session_id: str) -> None:
        """Drop a session from the cache (for example after an outside change)."""
        with self._cache_lock:
            self._cache.pop(session_id, None)

    # ── reading ──────────────────────────────────────────────────────────────────────────

    def get(self, session_id: str, metadata_only: bool = False) -> Session:
        """A session by id: cached full object, else loaded (S2.14, S2.34, S2.36).

        Raises :class:`SessionNotFound` for unknown or malformed ids and
        :class:`~hermes_sessions_core.errors.SessionUnreadable` for a file that does not parse.
        """
        with self._cache_lock:
            cached = self._cache.get(session_id)
            if cached is not None:
                self._cache.move_to_end(session_id)
        if cached is not None:
            return self._fresh(cached)
        session, source = self.dispatcher.load_session(self.context(), session_id, metadata_only)
        session.bind(self)
        if metadata_only or not source.info.writable:
            return session  # partial and foreign objects never fill the cache (S2.14)
        self._remember(session)
        self._repair_if_stale(session)
        return session

    def _fresh(self, cached: Session) -> Session:
        """The cached copy, reloaded in place first if another process stored a newer version
        since it was loaded (one ``stat`` or HEAD).

        Only an unchanged copy is reloaded, and only when its lock is free: a copy with unsaved
        changes keeps them, and its save merges with the newer version.
        """
        stored = cached.stored_copy
        if stored is None or cached.session_id in self._unsaved:
            return cached
        if self.dispatcher.is_current(self.context(), cached) is not False:
            return cached
        lock = self.session_lock(cached.session_id)
        if not lock.acquire(blocking=False):
            return cached
        try:
            if not cached.unchanged_since_stored():
                return cached
            try:
                fresh, _ = self.dispatcher.load_session(self.context(), cached.session_id, False)
            except SessionNotFound:
                self.forget(cached.session_id)  # deleted by another process
                raise
            cached.take_stored(fresh)
            return cached
        finally:
            lock.release()

    def _repair_if_stale(self, session: Session) -> None:
        live = self.live_stream_ids()
        if not needs_repair(session, live):
            return
        repaired = repair_interrupted_turn(
            session,
            self.session_lock(session.session_id),
            self.live_stream_ids,
            lambda: self.agent_transcript(session.session_id, session.profile),
            lambda s: self.save(s),
        )
        if (
            not repaired and not session.messages
            and needs_repair(session, self.live_stream_ids(), 0)
        ):
            # The lock was held: do not pin a stale object in the cache (S2.37, S8.21).
            with self._cache_lock:
                if self._cache.get(session.session_id) is session:
                    del self._cache[session.session_id]

    def repair_own_stream(self, session: Session) -> bool:
        """For the streaming writer: repair its own stream's interrupted turn (S2.37)."""
        return repair_interrupted_turn(
            session, self.session_lock(session.session_id), self.live_stream_ids,
            lambda: self.agent_transcript(session.session_id, session.profile),
            lambda s: self.save(s), own_stream=True,
        )

    def agent_transcript(
        self, session_id: str, profile: str | None = None, locations: Locations | None = None
    ) -> AgentTranscript | None:
        """What the agent itself recorded of ``session_id``'s turn in ``profile`` (S2.38), from
        the source that owns the agent's files; ``locations`` replaces the store's for this
        call (a host naming the profile home itself). ``None`` for a profile name that is not
        valid (S7.2): it has no home to look in."""
        try:
            chosen = validate_profile_name(profile) if profile else DEFAULT_PROFILE
        except InvalidProfileName:
            return None
        return self.dispatcher.agent_transcript(self.context(locations), chosen, session_id)

    def read_messages(self, session_id: str, limit: int | None = None) -> Transcript | None:
        """Messages of a read-only or external session, from the source that holds it (S6.12)."""
        return self.dispatcher.read_messages(self.context(), session_id, limit)

    # ── creating and saving ──────────────────────────────────────────────────────────────

    def new_session(
        self,
        workspace: str | None = None,
        model: str | None = None,
        profile: str | None = None,
        model_provider: str | None = None,
        project_id: str | None = None,
        worktree_info: Mapping[str, Any] | None = None,
    ) -> Session:
        """A session in memory only (S2.28); a worktree session is saved at once (S2.30)."""
        active = self.locations.active_profile(profile)
        worktree = dict(worktree_info) if isinstance(worktree_info, Mapping) else None
        chosen_workspace = (
            (worktree or {}).get("path") or workspace or self._usable_last_workspace(active)
        )
        session = Session(
            workspace=chosen_workspace or None,
            model=model or self.locations.default_model(self._configured_model()),
            model_provider=model_provider,
            profile=active,
            project_id=project_id,
            worktree_path=(worktree or {}).get("path"),
            worktree_branch=(worktree or {}).get("branch"),
            worktree_repo_root=(worktree or {}).get("repo_root"),
            worktree_created_at=(worktree or {}).get("created_at"),
            _default_workspace=self.locations.default_workspace,
        )
        session.bind(self)
        session.remember_stored(None)  # stored nowhere yet: its first save creates it
        with self._cache_lock:
            self._unsaved.add(session.session_id)
        self._remember(session)
        if worktree and worktree.get("path"):
            self.save(session)
        return session

    def _usable_last_workspace(self, profile: str) -> str | None:
        try:
            last = self._last_workspace(profile)
        except Exception:
            logger.exception("the host's last-workspace callback failed")
            return None
        if last and self.locations.workspace_exists(str(last)):
            return str(last)
        return None

    def save(
        self, session: Session, touch_updated_at: bool = True, skip_index: bool = False
    ) -> None:
        """Write ``session`` through its source; refuses partial and read-only sessions."""
        if session.is_partial:
            raise PartialSessionSaveError(session.session_id)
        require_valid_session_id(session.session_id)
        if session.read_only:
            raise ReadOnlySessionError(session.session_id, str(session.source_tag or "read-only"))
        previous_updated_at = session.updated_at
        if touch_updated_at:
            session.updated_at = time.time()
        try:
            self.dispatcher.save_session(self.context(), session, skip_index)
        except SessionConflict:
            # The copy stays as it was; the cache lets go of it so get() loads the stored one.
            session.updated_at = previous_updated_at
            with self._cache_lock:
                if self._cache.get(session.session_id) is session:
                    if session.session_id not in self._unsaved:
                        del self._cache[session.session_id]
            raise
        session.bind(self)
        with self._cache_lock:
            self._unsaved.discard(session.session_id)
            if session.session_id in self._cache:
                self._cache[session.session_id] = session
            self._evict_locked()

    def checkpoint_first_turn(
        self,
        session: Session,
        text: str,
        attachments: Iterable[Any] = (),
        stream_id: str | None = None,
        mode: str | None = None,
    ) -> bool:
        """Persist a turn that is starting (S2.29): ``deferred`` keeps it pending with no
        messages; ``eager`` also stores the user message. Nothing is written without content."""
        attachment_list = list(attachments)
        if not str(text or "").strip() and not attachment_list:
            return False
        chosen = mode if mode in SAVE_MODES else self.save_mode
        session.pending_user_message = text
        session.pending_attachments = attachment_list
        session.pending_started_at = time.time()
        session.active_stream_id = stream_id
        if chosen == "eager" and not session.messages:
            message: dict[str, Any] = {
                "role": "user", "content": text, "timestamp": int(time.time())
            }
            if attachment_list:
                message["attachments"] = attachment_list
            session.messages.append(message)
        self.save(session)
        return True

    def update(self, session_id: str, **fields: Any) -> Session:
        """Rename, pin, archive, move or clear stream state on a full load under the session's
        lock (S2.16). An agent-only session gets a metadata-only Web UI file (S2.27)."""
        lock = self.session_lock(session_id)
        with lock:
            try:
                session = self.get(session_id)
            except SessionNotFound:
                raise
            if session.read_only:
                foreign = self._foreign_source(session_id)
                if foreign is not None and foreign.info.id_prefixes:
                    raise ReadOnlySessionError(session_id, foreign.info.name, action="change")
                session = self._metadata_copy(session)
            before = len(session.messages)
            for name, value in fields.items():
                setattr(session, name, value)
            if len(session.messages) < before:
                raise HermesSessionsError(
                    f"update() of session {session_id!r} may not remove messages"
                )
            self.save(session, touch_updated_at=False)
            return session

    def reindex_session(self, session: Session) -> None:
        """Make ``session``'s sidebar row match its stored copy, by saving that copy again
        unchanged (the row is written with every save).

        For hosts that changed a file behind the store; a session with no file is left alone.
        """
        try:
            stored, source = self.dispatcher.load_session(self.context(), session.session_id, False)
        except SessionNotFound:
            return
        if source.info.writable:
            self.dispatcher.save_session(self.context(), stored, False)

    def _foreign_source(self, session_id: str) -> Source | None:
        for source in self.dispatcher.candidates(session_id):
            if not source.info.writable:
                return source
        return None

    def _metadata_copy(self, session: Session) -> Session:
        """A Web UI record of an agent session: its metadata, no transcript (S2.27)."""
        record = {
            k: v for k, v in session.to_record().items()
            if k not in ("messages", "tool_calls", "message_count")
        }
        record["read_only"] = False
        copy = Session.from_record(record, default_workspace=self.locations.default_workspace)
        copy.bind(self)
        return copy

    # ── projects (S5) ────────────────────────────────────────────────────────────────────

    def stored_projects(self, migrate: bool = True) -> list[dict[str, Any]]:
        """Every stored project of every profile as stored (back-filled once, S5.2); ``[]``
        when no plugin keeps projects or the file does not parse."""
        answer = self.dispatcher.first_plugin_answer(
            self.context(), "hermes_sessions_stored_projects", migrate=migrate
        )
        return [dict(p) if isinstance(p, Mapping) else p for p in answer or ()]

    def replace_projects(self, projects: Iterable[Mapping[str, Any]]) -> None:
        """Store ``projects`` as the whole list, atomically (S5.1); raises why it cannot."""
        answer = self.dispatcher.first_plugin_answer(
            self.context(), "hermes_sessions_replace_projects", projects=list(projects)
        )
        if answer is None:
            raise HermesSessionsError("no plugin keeps projects; is cron_projects blocked?")

    def ensure_cron_project(self, profile: str | None = None) -> str:
        """The profile's Cron Jobs project id, created once if missing (S5.4)."""
        chosen = self.locations.active_profile(profile)
        answer = self.dispatcher.first_plugin_answer(
            self.context(), "hermes_sessions_ensure_cron_project", profile=chosen
        )
        if answer is None:
            raise HermesSessionsError("no plugin keeps projects; is cron_projects blocked?")
        return str(answer)

    # ── agent sessions (S3) ──────────────────────────────────────────────────────────────

    def count_rounds(
        self, session_id: str, profile: str | None = None, since: float | None = None
    ) -> int:
        """Completed user→assistant exchanges of an agent session (S3.22); 0 if unknown."""
        chosen = self.locations.active_profile(profile)
        answer = self.dispatcher.first_source_answer(
            self.context(), "hermes_sessions_count_rounds", self.source_enabled, isolate=True,
            profile=chosen, session_id=session_id, since=since,
        )
        return int(answer or 0)

    def delete_from_source(self, session_id: str, source_name: str) -> bool:
        """Ask one named source to delete its own record of ``session_id`` (the agent store's
        row and collapsed segments, S3.21); False if it holds none or is not enabled."""
        require_valid_session_id(session_id)
        answer = self.dispatcher.first_source_answer(
            self.context(), "hermes_sessions_delete_session",
            lambda name: name == source_name and self.source_enabled(name), isolate=False,
            session_id=session_id,
        )
        return bool(answer)

    # ── deleting ─────────────────────────────────────────────────────────────────────────

    def delete(self, session_id: str) -> bool:
        """Delete from the Web UI store, the cache and the lock table (S2.26)."""
        require_valid_session_id(session_id)
        existed = self.dispatcher.delete_session(self.context(), session_id)
        with self._cache_lock:
            in_memory = self._cache.pop(session_id, None) is not None
            self._unsaved.discard(session_id)
        with self._locks_lock:
            self._session_locks.pop(session_id, None)
        return existed or in_memory

    # ── listing ──────────────────────────────────────────────────────────────────────────

    def list_sessions(
        self,
        profile: str | None = None,
        *,
        all_profiles: bool = False,
        include_archived: bool = False,
        include_cron: bool = False,
        limit: int | None = None,
        row_exists: Callable[[str], bool] | None = None,
        enrich_lineage: bool = True,
        stage: Callable[[str], None] | None = None,
    ) -> SidebarListing:
        """The sidebar (S6). Never raises for a failing source: see ``listing.problems``.

        ``row_exists`` lets a host keep index rows whose file is gone (``ListRequest``);
        ``enrich_lineage=False`` leaves lineage keys to a host that adds them itself;
        ``stage(name)`` is told when each phase starts (``rows``, ``overlay``, ``sidebar``), for
        a host's request diagnostics.
        """
        # One set of profiles per listing, however many sources ask (Locations.held_profiles).
        with collector_paused(), self.locations.held_profiles():
            return self._list_sessions(
                profile, all_profiles, include_archived, include_cron, limit, row_exists,
                enrich_lineage, stage or (lambda name: None),
            )

    def _list_sessions(
        self,
        profile: str | None,
        all_profiles: bool,
        include_archived: bool,
        include_cron: bool,
        limit: int | None,
        row_exists: Callable[[str], bool] | None,
        enrich_lineage: bool,
        report: Callable[[str], None],
    ) -> SidebarListing:
        active = self.locations.active_profile(profile)
        live = self.live_stream_ids()
        with self._cache_lock:
            in_memory = list(self._cache.values())
        # A row whose file is gone stays only for a copy that was never stored: a stored one
        # without its file was deleted, perhaps by another process.
        in_memory_ids = frozenset(s.session_id for s in in_memory if not _was_stored(s))
        request = ListRequest(
            profile=active,
            profiles=tuple(self.locations.known_profiles()) if all_profiles else (active,),
            all_profiles=all_profiles,
            include_archived=include_archived,
            include_cron=include_cron,
            limit=limit,
            in_memory_ids=in_memory_ids,
            row_exists=row_exists,
        )
        context = self._context_of(self.locations, self.settings, live)
        report("rows")
        listings = self.dispatcher.list_rows(context, request, self.source_enabled)
        report("overlay")
        listings = self._overlay_in_memory(listings, in_memory, live)
        report("sidebar")
        options = SidebarOptions(
            profile=active,
            all_profiles=all_profiles,
            include_archived=include_archived,
            include_cron=include_cron,
            show_cli_sessions=self.show_cli_sessions,
            cli_row_limit=self.cli_row_limit,
            enrich_limit=self.enrich_limit if enrich_lineage else 0,
            writable_source=self._writable_name(),
            agent_sources=self._agent_store_names(),
        )

        def lineage(
            profile_name: str, ids: frozenset[str]
        ) -> tuple[Mapping[str, Any], list[Problem]]:
            return self.dispatcher.lineage_metadata(context, profile_name, ids)

        return build_sidebar(listings, options, self.locations, live, lineage)

    def every_source_row(self) -> tuple[list[tuple[str, SessionRow]], list[Problem]]:
        """Every row of every enabled source, in every profile, archived and cron ones too, as
        ``(source name, row)``: no sidebar rule applies (the newest-per-chat rule of S6.9 and
        the CLI cap hide sessions that still happened). An id two sources list is kept once,
        from the first source in dispatch order (the Web UI's copy before the agent's)."""
        with collector_paused(), self.locations.held_profiles():
            request = ListRequest(
                profile=self.locations.active_profile(),
                profiles=tuple(self.locations.known_profiles()),
                all_profiles=True, include_archived=True, include_cron=True, limit=None,
            )
            context = self._context_of(self.locations, self.settings, self.live_stream_ids())
            listings = self.dispatcher.list_rows(context, request, self.source_enabled)
        rows: list[tuple[str, SessionRow]] = []
        problems: list[Problem] = []
        seen: set[str] = set()
        for listing in listings:
            problems.extend(listing.problems)
            for row in listing.rows:
                if row.session_id not in seen:
                    seen.add(row.session_id)
                    rows.append((listing.source, row))
        return rows, problems

    def _writable_name(self) -> str:
        writable = self.dispatcher.writable_source()
        return writable.info.name if writable is not None else ""

    def _overlay_in_memory(
        self, listings: list[SourceListing], in_memory: list[Session], live: frozenset[str]
    ) -> list[SourceListing]:
        """In-memory sessions replace their stored rows, with ``is_streaming`` set (S2.35)."""
        writable = self._writable_name()
        overlay = {s.session_id: _listed_row(s, live) for s in in_memory if not s.is_partial}
        if not overlay:
            return listings
        stored = {s.session_id for s in in_memory if _was_stored(s)}
        result = []
        seen = False
        for listing in listings:
            if listing.source != writable:
                result.append(listing)
                continue
            seen = True
            rows = [overlay.pop(r.session_id, r) for r in listing.rows]
            # A stored copy its source no longer lists was deleted elsewhere: not a new row.
            rows.extend(row for session_id, row in overlay.items() if session_id not in stored)
            overlay = {}
            result.append(SourceListing(listing.source, tuple(rows), listing.problems))
        if not seen and overlay:
            result.insert(0, SourceListing(writable, tuple(overlay.values())))
        return result

    # ── recovery, audit, repair ──────────────────────────────────────────────────────────

    def _maintenance(
        self, action: str, progress: Callable[[int, int], None] | None,
        plan: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        context = self.context()

        def has_sessions(profile: str, ids: frozenset[str]) -> Mapping[str, bool] | None:
            return self.dispatcher.has_sessions(context, profile, ids)

        def sidecars(profile: str) -> list[Session]:
            return self.dispatcher.recoverable_sessions(context, profile)

        request = MaintenanceRequest(
            action=action,
            agent_has_sessions=has_sessions,
            agent_sidecars=sidecars,
            profiles=tuple(self.locations.known_profiles()),
            progress=progress,
            plan=plan,
        )
        report = self.dispatcher.maintain(context, request)
        if report is None:
            raise HermesSessionsError("no writable source supports recovery; is json_fs loaded?")
        if action not in ("audit", "plan", "reindex"):
            with self._cache_lock:  # restored files must be re-read, never served stale
                for session_id in [s for s in self._cache if s not in self._unsaved]:
                    del self._cache[session_id]
        return dict(report)

    def recover_on_startup(
        self, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        """Restore shrunken sessions from their backups (S2.21, S2.22); cheap on a clean store."""
        return self._maintenance("recover", progress)

    def audit(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Read-only health report: repairable, unsafe and reported findings (S2.23)."""
        return self._maintenance("audit", progress)

    def rebuild_index(self) -> dict[str, Any]:
        """Rebuild the writable store's sidebar index from its session files (S2.9), for hosts
        that changed files behind the store's back (a restore, a hand edit)."""
        return self._maintenance("reindex", None)

    def repair_plan(self, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """What ``repair_safe()`` would do now, as ``{actions, audit}``; writes nothing, so a
        person can read it before approving (S2.23, S2.24)."""
        return self._maintenance("plan", progress)

    def repair_safe(
        self, progress: Callable[[int, int], None] | None = None,
        plan: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Apply only safe repairs, then audit again (S2.24); with ``plan`` (from
        ``repair_plan()``) only its actions, each only if still needed."""
        return self._maintenance("repair", progress, plan)

    # ── lifecycle ────────────────────────────────────────────────────────────────────────

    def close(self) -> None:
        """Let sources flush (the Web UI store folds its index changes)."""
        self.dispatcher.shutdown(self.context())

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def plugin_report(self) -> list[dict[str, Any]]:
        """One entry per plugin, for `plugins` views (:mod:`.plugin_report`)."""
        from .plugin_report import plugin_report

        return plugin_report(self.dispatcher, self.plugin_manager, self.source_enabled)

    # ── search ───────────────────────────────────────────────────────────────────────────

    def rebuild_search_indexes(
        self,
        progress: Callable[[str, int, int], None] | None = None,
        sources: Iterable[str] = (),
    ) -> tuple[dict[str, int], list[Problem]]:
        """Rebuild the search indexes of the enabled ``sources`` (all: empty) from their data.

        This is ``hermes-sessions reindex``. ``progress`` gets (source, done, total). Returns the
        sessions indexed per source, and the problems of sources that failed.
        """
        chosen = frozenset(sources)

        def enabled(name: str) -> bool:
            return self.source_enabled(name) and (not chosen or name in chosen)

        return self.dispatcher.rebuild_search_index(self.context(), progress, enabled)

    @contextmanager
    def reporting_index_progress(
        self, progress: Callable[[str, int, int], None]
    ) -> Iterator[None]:
        """While the block runs, a source that builds or catches up its index during a search
        reports ``progress(source, done, total)`` (the first search of a large store takes
        seconds; the CLI shows a bar). Hosts that never ask see no change."""
        from .progress_reports import INDEXING

        with self._reporting(INDEXING, progress):
            yield

    @contextmanager
    def reporting_read_progress(
        self, progress: Callable[[str, int, int], None]
    ) -> Iterator[None]:
        """While the block runs, a source that reads its files whole during a listing (the
        exact counts of :meth:`every_source_row` under ``hermes-sessions usage``, seconds per
        gigabyte) reports ``progress(source, files done, files to read)``."""
        from .progress_reports import READING

        with self._reporting(READING, progress):
            yield

    @contextmanager
    def _reporting(self, kind: str, progress: Callable[[str, int, int], None]) -> Iterator[None]:
        state = self.context().state
        state[kind] = progress
        try:
            yield
        finally:
            state.pop(kind, None)

    def search(
        self,
        text: str,
        *,
        profile: str | None = None,
        all_profiles: bool = False,
        sources: Iterable[str] = (),
        project_id: str | None = None,
        since: Any = None,
        until: Any = None,
        include_archived: bool = False,
        limit: int = 50,
        per_session: int = 1,
    ) -> SearchResults:
        """Full-text search of every enabled source, best hits first (S6.13, S9.5).

        Stays within the active profile unless ``all_profiles``; ``since``/``until`` take
        epoch seconds or ISO text. Each hit's ``position`` is the matched message's index, so
        the host can open the session there. Raises
        :class:`~hermes_sessions_core.search.InvalidSearchQuery` for text that cannot be
        searched; a failing source or index is reported in ``results.problems``, never raised.
        """
        from .search import InvalidSearchQuery, parse_query
        from .times import to_epoch

        active = self.locations.active_profile(profile)
        if all_profiles:
            profiles: tuple[str, ...] = ()
        elif self.locations.is_root_profile(active):
            profiles = tuple(sorted(self.locations.root_aliases))
        else:
            profiles = (active,)
        bounds = []
        for name, value in (("since", since), ("until", until)):
            stamp = to_epoch(value) if value is not None else None
            if value is not None and stamp is None:
                raise InvalidSearchQuery(
                    f"{name} {value!r} is not a date: use ISO 8601 or epoch seconds"
                )
            bounds.append(stamp)
        query = parse_query(
            text, sources=sources, profiles=profiles, project_id=project_id, since=bounds[0],
            until=bounds[1], include_archived=include_archived, limit=limit,
            per_session=per_session,
        )
        return self.dispatcher.search(self.context(), query, self.source_enabled)


def _was_stored(session: Session) -> bool:
    stored = session.stored_copy
    return stored is not None and stored.version is not None


def _listed_row(session: Session, live: frozenset[str]) -> SessionRow:
    """An in-memory session's sidebar row; rows without a profile report ``default`` (S2.35)."""
    row = session.compact(include_runtime=True, active_stream_ids=live)
    if not row.get("profile"):
        row["profile"] = DEFAULT_PROFILE
    return SessionRow.adopt(row)
