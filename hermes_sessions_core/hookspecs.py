"""The contract between the core and every source plugin, and its reference.

A source is any object (usually a module) with ``@hookimpl`` functions named below. The core
calls list-like hooks one implementation at a time, so a source that raises is reported as a
:class:`~hermes_sessions_core.models.Problem` and the others still answer (S6.14). An
implementation may accept any subset of a hook's arguments, as pluggy allows.

Every hook gets a :class:`SourceContext`: where things live, this source's settings, and the
host's live streams. Sources keep no global configuration of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pluggy

from .redaction import redact_secrets

if TYPE_CHECKING:
    from .locations import Locations
    from .models import Session, SourceInfo, SourceListing, Transcript
    from .search import SearchQuery, SearchResults

__all__ = [
    "AgentTranscript",
    "MaintenanceRequest",
    "PROJECT_NAME",
    "ENTRY_POINT_GROUP",
    "hookspec",
    "hookimpl",
    "SourceContext",
    "ListRequest",
    "Project",
    "ProjectFacts",
    "StoredSession",
    "WebuiStoreFacts",
    "HOOK_NAMES",
]

PROJECT_NAME = "hermes_sessions"
ENTRY_POINT_GROUP = "hermes_sessions.plugins"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One session the Web UI store holds, as other sources need to know it.

    ``profile`` and ``project_id`` are as stored (``None``: untagged, or a file the store could
    not read); ``updated_at`` is epoch seconds.
    """

    session_id: str
    profile: str | None = None
    project_id: str | None = None
    updated_at: float | None = None


class WebuiStoreFacts:
    """What the Web UI store (the source with the ``webui_store`` role) holds, for the others.

    A plugin never opens another source's files (they may be on S3 or SFTP, with pending
    changes only the owner knows how to apply); it asks here instead. The core passes the
    owner's answers in, asked on first use and remembered for the one call (a listing asks
    once for all its profiles). A store that cannot answer answers empty: callers fail open.
    """

    __slots__ = ("_ask_stored", "_ask_deleted", "_stored", "_deleted")

    def __init__(
        self,
        stored_sessions: Callable[[str | None, frozenset[str] | None], Sequence[StoredSession]],
        deleted_ids: Callable[[], frozenset[str]],
    ) -> None:
        self._ask_stored = stored_sessions
        self._ask_deleted = deleted_ids
        self._stored: dict[tuple[str | None, frozenset[str] | None], tuple[StoredSession, ...]]
        self._stored = {}
        self._deleted: frozenset[str] | None = None

    def stored_sessions(
        self, profile: str | None = None, session_ids: Iterable[str] | None = None
    ) -> tuple[StoredSession, ...]:
        """The sessions the store holds, newest first: of ``profile`` (``None``: every
        profile), only those in ``session_ids`` when given."""
        key = (profile, None if session_ids is None else frozenset(session_ids))
        answer = self._stored.get(key)
        if answer is None:
            answer = self._stored[key] = tuple(self._ask_stored(*key))
        return answer

    def deleted_ids(self) -> frozenset[str]:
        """Ids the user deleted from the store (its tombstones): never bring them back."""
        if self._deleted is None:
            self._deleted = frozenset(self._ask_deleted())
        return self._deleted


class ProjectFacts:
    """What the plugin that keeps projects holds, for the others (STYLE 11).

    The agent store tags cron rows with their profile's Cron Jobs project (S5.6) but never
    reads the projects file: the keeper (``hermes_sessions_cron_project_id``) answers, asked on
    first use and remembered for the one call (a listing asks once per profile). Looking never
    creates the project (S5.6); a keeper that cannot answer answers ``None``.
    """

    __slots__ = ("_ask_cron", "_cron")

    def __init__(self, cron_project_id: Callable[[str], str | None]) -> None:
        self._ask_cron = cron_project_id
        self._cron: dict[str, str | None] = {}

    def cron_project_id(self, profile: str) -> str | None:
        """The id of ``profile``'s Cron Jobs project, or ``None`` while it does not exist."""
        try:
            return self._cron[profile]
        except KeyError:
            answer = self._cron[profile] = self._ask_cron(profile)
            return answer


@dataclass(frozen=True)
class SourceContext:
    """What a hook needs to know about the calling store.

    ``settings`` holds this store's per-source options keyed by source name (for example
    ``{"claude_code": {"max_files": 200}}``); read them with :meth:`setting`.
    ``live_stream_ids`` is the host's set of running streams at the time of the call.
    ``state`` is the calling store's scratch space, the same dict on every call from that
    store: a source may keep there, under its own name, what it built for this store (an open
    folder, a cache) instead of in a global. ``webui_store`` answers what the Web UI store
    holds (:class:`WebuiStoreFacts`), or is ``None`` when no source takes that role;
    ``projects`` answers what the projects keeper holds (:class:`ProjectFacts`), or is ``None``
    when no plugin keeps projects.
    """

    locations: Locations
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    live_stream_ids: frozenset[str] = frozenset()
    state: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    webui_store: WebuiStoreFacts | None = field(default=None, compare=False, repr=False)
    projects: ProjectFacts | None = field(default=None, compare=False, repr=False)

    def setting(self, source: str, key: str, default: Any = None) -> Any:
        return self.settings.get(source, {}).get(key, default)

    def __repr__(self) -> str:
        # Settings hold credentials (json_fs's storage_options): never print them.
        return (
            f"SourceContext(locations={self.locations!r}, "
            f"settings={redact_secrets(self.settings)!r}, "
            f"live_stream_ids={self.live_stream_ids!r})"
        )


@dataclass(frozen=True)
class ListRequest:
    """What the sidebar asks each source for.

    ``profile`` is the active profile; sources with per-profile data (the agent store) read
    that profile's data, or every profile in ``profiles`` when ``all_profiles`` is set.
    ``limit`` is the per-source row limit after projection (``None``: the source's default).
    ``in_memory_ids`` are sessions that exist only in the store's memory so far; a writable
    store keeps index rows for them (S2.35). ``row_exists(session_id)``, when given, is the
    host's word on an index row whose session file is gone: the row is kept if it answers true
    (the Web UI's ``_index_entry_exists``). Filtering by profile, archive, cron and drafts is
    the aggregator's job; sources may pre-filter only where it saves real work.
    """

    profile: str
    profiles: tuple[str, ...] = ()
    all_profiles: bool = False
    include_archived: bool = False
    include_cron: bool = False
    limit: int | None = None
    in_memory_ids: frozenset[str] = frozenset()
    row_exists: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class MaintenanceRequest:
    """What a writable store's recovery, audit or repair may consult (S2.21-S2.25).

    ``action`` is ``"recover"`` (startup recovery), ``"audit"`` (read-only), ``"plan"``
    (read-only: the actions a repair would take), ``"repair"`` (safe repairs only) or
    ``"reindex"`` (rebuild the sidebar index from the session files).
    ``agent_has_sessions(profile, ids)`` answers which ids the profile's
    agent store holds, or ``None`` when that store is missing, locked or too old to tell (then
    callers fail open). ``agent_sidecars(profile)`` returns agent-only Web UI sessions that
    could be materialised as files. ``progress(done, total)`` reports long scans. ``plan``,
    for a repair, is a plan report a person approved: only its actions are applied.
    """

    action: str
    agent_has_sessions: Callable[[str, frozenset[str]], Mapping[str, bool] | None]
    agent_sidecars: Callable[[str], Sequence[Session]]
    profiles: tuple[str, ...] = ("default",)
    progress: Callable[[int, int], None] | None = None
    plan: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Project:
    """One project of the sidebar's project list (S5.1), as a plugin contributes it.

    ``profile`` is the profile the project belongs to (``None``: untagged legacy data, which
    counts as ``default``); ``source`` names who contributed it, so a host can tell the Web UI's
    own ``projects.json`` entries (``"projects.json"``) from a plugin's.
    """

    project_id: str
    name: str
    color: str | None = None
    profile: str | None = None
    created_at: float | None = None
    source: str = "projects.json"

    def to_dict(self) -> dict[str, Any]:
        """The ``projects.json`` shape: ``project_id``, ``name``, ``color``, ``profile``,
        ``created_at``."""
        return {
            "project_id": self.project_id,
            "name": self.name,
            "color": self.color,
            "profile": self.profile,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class AgentTranscript:
    """What the agent itself recorded of one session's turn (its ``sessions/session_<id>.json``,
    S7.6), as the repair of an interrupted turn adopts it (S2.38).

    ``messages`` is never empty (a record without messages is no answer); the token and cost
    fields are ``None`` when the agent recorded none, and then the session keeps its own.
    """

    messages: tuple[Any, ...]
    tool_calls: tuple[Any, ...] = ()
    input_tokens: Any = None
    output_tokens: Any = None
    estimated_cost: Any = None


class HermesSessionsSpec:
    """Hook specifications. Every hook name starts with ``hermes_sessions_``."""

    @hookspec(firstresult=False)
    def hermes_sessions_source_info(self) -> SourceInfo:
        """Describe this source: name, label, writable or read-only, owned id prefixes.

        Called once per plugin when the store starts and by ``hermes-sessions plugins``.
        Must return a :class:`~hermes_sessions_core.models.SourceInfo`; a plugin without
        this hook is not treated as a source (it may still implement helper hooks).

        Example::

            @hookimpl
            def hermes_sessions_source_info():
                return SourceInfo(name="codex", label="Codex", writable=False,
                                  id_prefixes=("codex_",))
        """

    @hookspec
    def hermes_sessions_list_rows(
        self, context: SourceContext, request: ListRequest
    ) -> SourceListing | None:
        """Return this source's sidebar rows for ``request``.

        Called once per listing, one source at a time. Return a
        :class:`~hermes_sessions_core.models.SourceListing` whose rows carry at least
        ``session_id``, ``title``, ``created_at``, ``updated_at``, ``message_count`` and
        ``profile`` (S1.12), already limited by the source's own limit. Put files or rows
        you had to skip into ``problems`` instead of raising. ``None`` means "nothing to
        add" (disabled, no data). Raising is isolated: the source is reported and skipped.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_load_session(
        self, context: SourceContext, session_id: str, metadata_only: bool
    ) -> Session | None:
        """Load one session as a fresh :class:`~hermes_sessions_core.models.Session`.

        Called with a valid id (S1.2), routed to the source that owns its prefix, else to
        sources in priority order. With ``metadata_only`` a source may skip the transcript and
        must then flag the object partial (``Session.mark_partial``) so it cannot be saved
        (S2.15). Return ``None`` when this source does not hold the id. Raise
        :class:`~hermes_sessions_core.errors.SessionUnreadable` for data that exists but does
        not parse, and a :class:`~hermes_sessions_core.errors.StorageError` when the store
        that may hold the id cannot be read now (a locked database): the next source is asked,
        and the error is raised only if none holds the id. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_is_current(self, context: SourceContext, session: Session) -> bool | None:
        """Whether storage still holds the version this full copy was loaded or saved as.

        Only writable sources implement it, cheaply (one ``stat`` or HEAD, never a re-read),
        using what their load recorded with ``Session.remember_stored``. The store asks before
        handing out a cached copy, so a copy another process changed meanwhile is reloaded.
        Return ``True`` or ``False``; ``None`` means "not known" (the copy is used as it is,
        and the save still checks). Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_read_messages(
        self, context: SourceContext, session_id: str, limit: int | None
    ) -> Transcript | None:
        """Return the transcript of one session as a
        :class:`~hermes_sessions_core.models.Transcript`.

        Called to open read-only and external sessions (S6.12). ``limit`` caps the messages
        returned (the most recent ones); ``None`` means the source's default. Return ``None``
        when this source does not hold the id. Must not raise for damaged data: skip what
        cannot be read. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_save_session(
        self, context: SourceContext, session: Session, skip_index: bool
    ) -> bool | None:
        """Persist ``session`` durably; only writable sources implement this.

        Called by the store after its own checks (valid id, not partial, not read-only) with
        the session's per-session lock held. Write atomically: after a crash the stored
        session is either the old or the new one (S2.3). Never write blindly over a version
        the copy has not seen: when ``session.stored_copy`` names an older version than the
        stored one, merge (``hermes_sessions_core.merge``) and let the copy ``adopt_record`` the
        result, or raise :class:`~hermes_sessions_core.errors.SessionConflict` having written
        nothing; then ``remember_stored`` the version written. ``skip_index`` defers sidebar
        index upkeep (S2.6). Return ``True`` once saved, ``None`` to decline. Errors propagate
        to the caller, who keeps the in-memory session so the save can be retried. Stops at
        first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_delete_session(
        self, context: SourceContext, session_id: str
    ) -> bool | None:
        """Delete one session and everything derived from it (backup, index row, S2.26).

        Called only on the source that holds the session. Return ``True`` if anything
        existed, ``False`` if nothing did, ``None`` if this source does not manage the id.
        A read-only source implements it only to remove its own record when a host asks for
        that source by name (the agent store, S3.21: the session and the chain segments its row
        collapsed, with a tombstone); the store's ordinary delete never reaches it. Stops at
        first non-None result.
        """

    @hookspec
    def hermes_sessions_lineage_metadata(
        self, context: SourceContext, profile: str, session_ids: frozenset[str]
    ) -> Mapping[str, Mapping[str, Any]] | None:
        """Return lineage keys for some of ``session_ids`` in ``profile`` (S6.11, S3.19).

        Called once per profile for the first rows of the sidebar. Return
        ``{session_id: {"parent_session_id": …, "_lineage_root_id": …, …}}`` for the ids this
        source knows; the aggregator only adds keys a row lacks. ``None`` or ``{}``: nothing.
        """

    @hookspec
    def hermes_sessions_search(
        self, context: SourceContext, query: SearchQuery
    ) -> SearchResults | None:
        """Find messages and titles matching ``query`` in this source (S6.13, S9.5).

        Called once per search, one source at a time, only for sources the query allows.
        Return a :class:`~hermes_sessions_core.search.SearchResults` whose hits match every
        term, honour the query's filters and ``limit``, and carry the message ``position`` in
        the transcript the host shows, so it can jump there. Build the FTS5 expression with
        ``query.fts5_expression()``, never from the raw text. An index that is missing, stale
        or corrupt is rebuilt or bypassed and reported in ``problems``; it must never make a
        search fail. ``None`` means "this source cannot search". Raising is isolated: the
        source is reported and the other sources' hits are still returned.
        """

    @hookspec
    def hermes_sessions_rebuild_search_index(
        self, context: SourceContext, progress: Callable[[int, int], None]
    ) -> int | None:
        """Rebuild this source's own search index from its data (``hermes-sessions reindex``).

        Called on demand, one source at a time; call ``progress(done, total)`` as sessions are
        indexed. Return how many sessions were indexed, or ``None`` if this source keeps no
        index of its own (it searches its data directly). Raising is isolated and reported.
        """

    @hookspec
    def hermes_sessions_shutdown(self, context: SourceContext) -> None:
        """Flush and release what this source holds for the store that is closing.

        Called once by ``SessionStore.close()``, one source at a time; errors are reported and
        the other sources still close. The Web UI store folds its pending index changes here.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_maintain(
        self, context: SourceContext, request: MaintenanceRequest
    ) -> Mapping[str, Any] | None:
        """Run startup recovery, the read-only audit, or safe repairs on a writable store.

        Called by ``SessionStore.recover_on_startup()``, ``audit()``, ``repair_plan()`` and
        ``repair_safe()`` and by ``hermes-sessions doctor`` / ``repair``. Return the report
        S2.22-S2.24 describe (``{scanned, restored, orphaned_backups, details}`` for recover;
        ``{status, summary, repairable, unsafe, reported}`` for audit; ``{actions, audit}`` for
        plan; ``{ok, repaired, before, after}`` for repair), or ``None`` if this source keeps
        no files. An audit or a plan must not write anything. Stops at first non-None result.
        """

    @hookspec
    def hermes_sessions_has_sessions(
        self, context: SourceContext, profile: str, session_ids: frozenset[str]
    ) -> Mapping[str, bool] | None:
        """Say which of ``session_ids`` this source's store for ``profile`` holds.

        Called by recovery before restoring an orphan backup (S2.21). Return ``{id: bool}``
        for every id when the store can answer, ``None`` when it cannot (missing, locked, old
        schema): the caller then fails open.
        """

    @hookspec
    def hermes_sessions_recoverable_sessions(
        self, context: SourceContext, profile: str
    ) -> Sequence[Session] | None:
        """Return Web UI sessions this source holds that have no Web UI file (S2.25).

        Called by the audit and by safe repair: agent ``webui`` rows without a tombstone, as
        full sessions (messages ordered by time, then row id). Those with messages are
        materialised as files; empty ones are reported for manual review. ``None`` or ``[]``:
        nothing to offer.
        """

    @hookspec
    def hermes_sessions_projects(
        self, context: SourceContext, profile: str
    ) -> Sequence[Project] | None:
        """Return the projects this plugin contributes to ``profile``'s project list (S5.3).

        Called once per project listing (``hermes-sessions projects``, the Web UI's project
        chips), one implementation at a time, with a valid profile name. Return only projects
        of that profile (``default`` and a renamed root are one profile, S7.4), as frozen
        :class:`Project` records with an id unique to your plugin. Listing must never create
        or write anything (S5.6). ``None`` or ``[]``: nothing to add. Raising is isolated:
        the plugin is reported and the other projects are still listed.

        Example::

            @hookimpl
            def hermes_sessions_projects(context, profile):
                return [Project("jira_ops", "Ops tickets", "#0ea5e9", profile, source="jira")]
        """

    @hookspec(firstresult=True)
    def hermes_sessions_stored_projects(
        self, context: SourceContext, migrate: bool
    ) -> Sequence[Mapping[str, Any]] | None:
        """Return every stored project of every profile, as the stored objects (S5.1).

        Called by hosts that show or edit the raw project list (the Web UI drop-in's
        ``load_projects``). With ``migrate``, untagged projects are back-filled once per store
        first (S5.2); without, the list is returned as stored. A stored file that does not
        parse gives ``[]`` (writers refuse to replace it). ``None``: this plugin keeps no
        projects. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_replace_projects(
        self, context: SourceContext, projects: Sequence[Mapping[str, Any]]
    ) -> bool | None:
        """Replace the stored project list atomically (S2.3, S5.1); return ``True`` once written.

        Called by hosts that edit the raw list (the drop-in's ``save_projects``). Raise
        ``InvalidProjectId`` for a project without a valid id and a ``StorageError`` (never
        replacing it) when the stored file does not parse (S8.8). ``None``: this plugin keeps no
        projects. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_ensure_cron_project(
        self, context: SourceContext, profile: str
    ) -> str | None:
        """Return the id of ``profile``'s Cron Jobs project, creating it once if missing (S5.4).

        Called only when a caller asks for it (importing a cron session, ``projects
        --ensure-cron``); a listing never does (S5.6). ``default`` and a renamed root share one
        (S7.4). Raise a ``StorageError`` rather than replace an unreadable file (S8.8).
        ``None``: this plugin keeps no projects. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_cron_project_id(
        self, context: SourceContext, profile: str
    ) -> str | None:
        """Return the id of ``profile``'s Cron Jobs project if it exists; never create it (S5.6).

        Called on every agent listing, through ``context.projects.cron_project_id()``, so cron
        rows carry the project (S5.4-S5.6) without another plugin reading your projects. Answer
        as :meth:`hermes_sessions_ensure_cron_project` would find it (``default`` and a renamed
        root share one, S7.4), cheaply (the caller keys its cache on the answer), writing
        nothing. ``None``: no such project yet, or this plugin keeps no projects. Raising is
        isolated: cron rows then carry no project. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_count_rounds(
        self, context: SourceContext, profile: str, session_id: str, since: float | None
    ) -> int | None:
        """Return how many user→assistant exchanges session ``session_id`` completed (S3.22).

        Called on the agent store of ``profile`` (the Web UI's conversation-round threshold).
        Chain segments count, ties break by row id, and with ``since`` (epoch seconds) only
        exchanges after it count; unparseable times are left out (S8.2). ``0`` when the session
        has none or the store cannot be read; ``None``: this source holds no agent sessions.
        Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_agent_transcript(
        self, context: SourceContext, profile: str, session_id: str
    ) -> AgentTranscript | None:
        """Return the agent's own record of session ``session_id`` in ``profile`` (S2.38).

        Called by the repair of an interrupted turn (S2.36-S2.39) when the session has no
        messages, under the session's lock, so the repair can adopt what the agent wrote while
        the turn ran; only the source that owns the agent's files implements it. Return an
        :class:`AgentTranscript` with at least one message; ``None`` when there is no such
        record or it holds no messages, is not a regular file, is too large or does not parse
        (the repair then restores the pending prompt instead). Raising is isolated and
        reported. Stops at first non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_stored_sessions(
        self, context: SourceContext, profile: str | None, session_ids: frozenset[str] | None
    ) -> Sequence[StoredSession] | None:
        """Return the sessions this store holds, newest first, as :class:`StoredSession` records.

        Called only on the source with the ``webui_store`` role, when another plugin asks
        ``context.webui_store.stored_sessions()`` (the project back-fill, S5.2; the agent
        store hiding ``webui`` rows the Web UI already holds, S3.16). Answer from your own
        storage as it is now, on every backend you support (pending index changes applied);
        ``profile`` narrows to one profile (``None``: every profile) and ``session_ids`` to
        those ids (``None``: every session). A session whose data cannot be read is still
        held: list it with ``profile=None`` when no profile is asked for. ``None``: this
        source cannot tell. Raising is isolated: the caller sees no sessions. Stops at first
        non-None result.
        """

    @hookspec(firstresult=True)
    def hermes_sessions_deleted_ids(self, context: SourceContext) -> frozenset[str] | None:
        """Return the ids deleted from this store that must not come back (tombstones, S2.26).

        Called only on the source with the ``webui_store`` role, when another plugin asks
        ``context.webui_store.deleted_ids()`` (the agent store hides a deleted session's
        ``webui`` row, S8.20; the audit offers none of them, S2.25). A missing or unreadable
        record holds none. ``None``: this source keeps no tombstones. Raising is isolated: the
        caller sees none. Stops at first non-None result.
        """


HOOK_NAMES: tuple[str, ...] = tuple(
    name for name in vars(HermesSessionsSpec) if name.startswith("hermes_sessions_")
)
