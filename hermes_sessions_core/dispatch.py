"""Routing hook calls for one store: which source answers, and what a failure becomes.

One typed method per hook. Each asks plugins through :class:`~.hook_calls.PluginHookCalls`
(pluggy's own hook caller, one plugin at a time, time-bounded for third-party reads): pluggy
stops a hook call at the first exception, so answers from several plugins are gathered one
plugin at a time, in ``tryfirst``/``trylast`` order for hooks that plugins answer for the whole
store and in source priority for per-source hooks. Reads and listings turn a raising source
into a :class:`~hermes_sessions_core.problems.Problem` (logged once per distinct failure);
writes let errors propagate, because a save that failed must say so.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .errors import HermesSessionsError, ReadOnlySessionError, SessionNotFound, StorageError
from .hook_calls import (
    BOUNDED_HOOKS,
    CALL_TIMEOUT_ENV_VAR,
    DEFAULT_CALL_TIMEOUT,
    PluginHookCalls,
    SourceTimeout,
    bound_for,
    timeout_from,
)
from .hookspecs import ProjectFacts, WebuiStoreFacts
from .models import (
    ROLE_WEBUI_STORE,
    Problem,
    Session,
    SessionRow,
    SourceInfo,
    SourceListing,
    Transcript,
    is_valid_session_id,
    validate_project_id,
)

if TYPE_CHECKING:
    from .hookspecs import (
        AgentTranscript,
        ListRequest,
        MaintenanceRequest,
        Project,
        SourceContext,
        StoredSession,
    )
    from .manager import SessionsPluginManager
    from .search import SearchQuery, SearchResults

__all__ = [
    "Dispatcher",
    "Source",
    "SourceTimeout",
    "DEFAULT_CALL_TIMEOUT",
    "CALL_TIMEOUT_ENV_VAR",
    "BOUNDED_HOOKS",
]

logger = logging.getLogger(__name__)

#: Not worked out yet (``None`` is an answer: no writable source).
_UNKNOWN = object()

class Source:
    """A registered plugin that describes itself as a source."""

    __slots__ = ("name", "info", "plugin", "distribution", "builtin")

    def __init__(
        self, name: str, info: SourceInfo, plugin: object, distribution: str | None,
        builtin: bool = False,
    ):
        self.name = name
        self.info = info
        self.plugin = plugin
        self.distribution = distribution
        self.builtin = builtin  # shipped and tested with this library

    def __repr__(self) -> str:
        return f"Source({self.name!r}, writable={self.info.writable})"


class Dispatcher:
    """Calls hooks for one store. Build once per store from its plugin manager.

    ``call_timeout`` (else ``HERMES_SESSIONS_CALL_TIMEOUT``, else 10 s) bounds third-party read
    hooks; the store's ``settings`` ``{"core": {"call_timeout": N}}`` win over it, for the
    sources' descriptions taken here as for every later call.
    """

    def __init__(
        self,
        manager: SessionsPluginManager,
        call_timeout: float | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.manager = manager
        self.call_timeout = timeout_from(call_timeout, os.environ.get(CALL_TIMEOUT_ENV_VAR))
        self._logged: set[tuple[str, str, str, str]] = set()
        self._lock = threading.Lock()
        self.problems: list[Problem] = list(manager.load_problems)
        self.sources: dict[str, Source] = {}
        self._ordered: list[Source] | None = None
        self._writable: Source | None | object = _UNKNOWN
        self._calls = PluginHookCalls(manager)
        self._keepers: list[str] | None = None
        describe_bound = bound_for("hermes_sessions_source_info", settings, self.call_timeout)
        self._describe_sources(describe_bound)

    # ── sources ──────────────────────────────────────────────────────────────────────────

    def _describe_sources(self, seconds: float | None) -> None:
        """Ask each plugin who it is, one at a time; third-party answers within ``seconds``."""
        hook = "hermes_sessions_source_info"
        for name, plugin in self._answering(hook):
            bound = None if self._is_builtin(name) else seconds
            try:
                info = self._calls.call(name, hook, bound)
            except Exception as error:
                self._record(name, hook, error, self.distribution_of(name))
                continue
            from .models import SourceInfo

            if not isinstance(info, SourceInfo):
                self._record(
                    name,
                    "hermes_sessions_source_info",
                    TypeError(f"returned {type(info).__name__}, expected SourceInfo"),
                )
                continue
            if info.name in self.sources:
                self._record(
                    name,
                    "hermes_sessions_source_info",
                    ValueError(
                        f"source name {info.name!r} is already provided by plugin "
                        f"{self.sources[info.name].plugin!r}; this plugin was not used"
                    ),
                )
                continue
            clash = self._prefix_clash(info)
            if clash is not None:
                self._record(
                    name,
                    "hermes_sessions_source_info",
                    ValueError(f"claims ids starting {clash!r}, already owned by another source"),
                )
                continue
            self.sources[info.name] = Source(
                name, info, plugin, self.distribution_of(name), self._is_builtin(name)
            )

    def _prefix_clash(self, info: SourceInfo) -> str | None:
        for source in self.sources.values():
            for prefix in info.id_prefixes:
                for owned in source.info.id_prefixes:
                    if prefix.startswith(owned) or owned.startswith(prefix):
                        return prefix
        return None

    def _is_builtin(self, plugin_name: str) -> bool:
        """Shipped and tested with this library (see :meth:`_timeout_for`)."""
        record = self.manager.record_of(plugin_name)
        return record is not None and record.origin == "builtin"

    def distribution_of(self, plugin_name: str) -> str | None:
        """``"name version"`` of the distribution that installed ``plugin_name``, if any."""
        record = self.manager.record_of(plugin_name)
        if record is None or record.distribution is None:
            return None
        return f"{record.distribution} {record.version or ''}".strip()

    def ordered_sources(self) -> list[Source]:
        """Sources by priority (the writable store first); computed once, they never change."""
        if self._ordered is None:
            self._ordered = sorted(self.sources.values(), key=lambda s: (s.info.priority, s.name))
        return list(self._ordered)

    def source_for_plugin(self, plugin_name: str) -> Source | None:
        for source in self.sources.values():
            if source.name == plugin_name:
                return source
        return None

    def candidates(self, session_id: str) -> list[Source]:
        """Sources that may hold ``session_id``: the prefix owner, else the unprefixed ones."""
        ordered = self.ordered_sources()
        owners = [s for s in ordered if s.info.owns_prefix(session_id)]
        if owners:
            return owners
        return [s for s in ordered if not s.info.id_prefixes]

    def sources_with_role(self, role: str) -> list[Source]:
        """The sources whose description claims ``role``, in priority order."""
        return [source for source in self.ordered_sources() if source.info.has_role(role)]

    def writable_source(self) -> Source | None:
        """The Web UI store: the first source with the ``webui_store`` role, else the first
        writable one (a writable store described before roles existed keeps working).
        Found once: sources never change after the dispatcher is built, and every context
        and save asks."""
        if self._writable is _UNKNOWN:
            ordered = self.ordered_sources()
            self._writable = next(
                (s for s in ordered if s.info.writable and s.info.has_role(ROLE_WEBUI_STORE)),
                next((s for s in ordered if s.info.writable), None),
            )
        return self._writable  # type: ignore[return-value]

    # ── hooks ────────────────────────────────────────────────────────────────────────────

    def list_rows(
        self, context: SourceContext, request: ListRequest, enabled: Callable[[str], bool]
    ) -> list[SourceListing]:
        """Every enabled source's listing, one at a time; a raising source gives a problem."""
        answers: list[SourceListing] = []
        for source in self.ordered_sources():
            if not enabled(source.info.name):
                continue
            hook = "hermes_sessions_list_rows"
            try:
                result = self.call(source, hook, context=context, request=request)
            except Exception as error:
                problem = self._record_source(source, hook, error)
                answers.append(SourceListing(source.info.name, problems=(problem,)))
                continue
            if result is None:
                continue
            answers.append(self._checked_listing(source, result))
        return answers

    def load_session(
        self,
        context: SourceContext,
        session_id: str,
        metadata_only: bool,
        enabled: Callable[[str], bool] | None = None,
    ) -> tuple[Session, Source]:
        """The first source that holds ``session_id`` loads it; raise SessionNotFound if none.

        ``enabled(name)`` narrows the candidates (a caller that wants the agent's record). A
        read-only source that cannot be read now (a locked database: a StorageError) lets the
        next source answer; its error is raised only if no other source holds the id.
        """
        if not is_valid_session_id(session_id):
            raise SessionNotFound(session_id)
        hook = "hermes_sessions_load_session"
        unavailable: StorageError | None = None
        for source in self.candidates(session_id):
            if enabled is not None and not enabled(source.info.name):
                continue
            try:
                session = self.call(
                    source, hook, context=context, session_id=session_id,
                    metadata_only=metadata_only,
                )
            except StorageError as error:
                if source.info.writable:
                    raise
                unavailable = unavailable or error
                continue
            except HermesSessionsError:
                raise
            except Exception as error:
                self._record_source(source, hook, error)
                continue
            if session is None:
                continue
            if not isinstance(session, Session):
                self._record_source(
                    source, hook, TypeError(f"returned {type(session).__name__}, expected Session")
                )
                continue
            return session, source
        if unavailable is not None:
            raise unavailable
        raise SessionNotFound(session_id)

    def read_messages(
        self,
        context: SourceContext,
        session_id: str,
        limit: int | None = None,
        enabled: Callable[[str], bool] | None = None,
    ) -> Transcript | None:
        """The first candidate source's transcript; ``enabled(name)`` narrows the candidates
        (a caller that wants the agent's copy, not the Web UI's)."""
        hook = "hermes_sessions_read_messages"
        if not is_valid_session_id(session_id):
            return None
        for source in self.candidates(session_id):
            if enabled is not None and not enabled(source.info.name):
                continue
            try:
                transcript = self.call(
                    source, hook, context=context, session_id=session_id, limit=limit
                )
            except Exception as error:
                self._record_source(source, hook, error)
                continue
            if transcript is None:
                continue
            if not isinstance(transcript, Transcript):
                self._record_source(
                    source, hook,
                    TypeError(f"returned {type(transcript).__name__}, expected Transcript"),
                )
                continue
            return transcript
        return None

    def is_current(self, context: SourceContext, session: Session) -> bool | None:
        """Ask the writable store whether ``session`` is still its stored version; a failing
        check counts as "not known" and is reported, never raised."""
        source = self.writable_source()
        if source is None:
            return None
        try:
            answer = self.call(
                source, "hermes_sessions_is_current", context=context, session=session
            )
        except Exception as error:
            self._record_source(source, "hermes_sessions_is_current", error)
            return None
        return answer if isinstance(answer, bool) else None

    def save_session(self, context: SourceContext, session: Session, skip_index: bool) -> Source:
        """Route a save to the writable store; errors propagate to the caller."""
        source = self.writable_source()
        for owner in self.candidates(session.session_id):
            if owner.info.id_prefixes and not owner.info.writable:
                raise ReadOnlySessionError(session.session_id, owner.info.name)
        if source is None:
            raise HermesSessionsError(
                "no writable source is registered: is the json_fs plugin blocked or broken? "
                "Run `hermes-sessions plugins`."
            )
        result = self.call(
            source, "hermes_sessions_save_session", context=context, session=session,
            skip_index=skip_index,
        )
        if result is not True:
            raise HermesSessionsError(
                f"source {source.info.name!r} declined to save session {session.session_id!r}"
            )
        return source

    def delete_session(self, context: SourceContext, session_id: str) -> bool:
        """Delete from the writable store; read-only owners refuse with a clear error."""
        for owner in self.candidates(session_id):
            if owner.info.id_prefixes and not owner.info.writable:
                raise ReadOnlySessionError(session_id, owner.info.name, action="delete")
        source = self.writable_source()
        if source is None:
            return False
        result = self.call(
            source, "hermes_sessions_delete_session", context=context, session_id=session_id
        )
        return bool(result)

    def first_plugin_answer(self, context: SourceContext, hook: str, **arguments: Any) -> Any:
        """The first non-None answer of ``hook`` from any plugin, in registration order.

        For hooks a plugin answers for the whole store (the stored projects): errors
        propagate, because their callers write and must see why a write was refused.
        """
        for name, _plugin in self._answering(hook):
            answer = self.call_plugin(name, hook, context=context, **arguments)
            if answer is not None:
                return answer
        return None

    def first_source_answer(
        self,
        context: SourceContext,
        hook: str,
        enabled: Callable[[str], bool],
        *,
        isolate: bool,
        **arguments: Any,
    ) -> Any:
        """The first non-None answer of ``hook`` from the sources ``enabled(name)`` accepts.

        With ``isolate`` a raising source becomes a problem and the next one answers (reads);
        without, the error reaches the caller (a delete it asked for).
        """
        for source in self.ordered_sources():
            if not enabled(source.info.name) or not self.implements(source, hook):
                continue
            try:
                answer = self.call(source, hook, context=context, **arguments)
            except Exception as error:
                if not isolate:
                    raise
                self._record_source(source, hook, error)
                continue
            if answer is not None:
                return answer
        return None

    def lineage_metadata(
        self, context: SourceContext, profile: str, session_ids: frozenset[str]
    ) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
        """Merge every source's lineage answer; earlier sources win per key."""
        merged: dict[str, dict[str, Any]] = {}
        problems: list[Problem] = []
        hook = "hermes_sessions_lineage_metadata"
        for source in self.ordered_sources():
            if not self.implements(source, hook):
                continue
            try:
                answer = self.call(
                    source, hook, context=context, profile=profile, session_ids=session_ids
                )
            except Exception as error:
                problems.append(self._record_source(source, hook, error))
                continue
            if not isinstance(answer, Mapping):
                continue
            for session_id, keys in answer.items():
                if session_id in session_ids and isinstance(keys, Mapping):
                    slot = merged.setdefault(session_id, {})
                    for key, value in keys.items():
                        slot.setdefault(key, value)
        return merged, problems

    def maintain(
        self, context: SourceContext, request: MaintenanceRequest
    ) -> Mapping[str, Any] | None:
        """Recovery, audit or repair on the writable store; errors propagate (S2.21-S2.24)."""
        source = self.writable_source()
        if source is None or not self.implements(source, "hermes_sessions_maintain"):
            return None
        result = self.call(source, "hermes_sessions_maintain", context=context, request=request)
        return result if isinstance(result, Mapping) else None

    def has_sessions(
        self, context: SourceContext, profile: str, session_ids: frozenset[str]
    ) -> dict[str, bool] | None:
        """Which ids the read-only stores of ``profile`` hold; ``None`` if none could tell."""
        hook = "hermes_sessions_has_sessions"
        answer: dict[str, bool] | None = None
        for source in self.ordered_sources():
            if source.info.writable or not self.implements(source, hook):
                continue
            try:
                result = self.call(
                    source, hook, context=context, profile=profile, session_ids=session_ids
                )
            except Exception as error:
                self._record_source(source, hook, error)
                continue
            if not isinstance(result, Mapping):
                continue
            answer = answer or {sid: False for sid in session_ids}
            for session_id, present in result.items():
                if session_id in answer and present:
                    answer[session_id] = True
        return answer

    def recoverable_sessions(self, context: SourceContext, profile: str) -> list[Session]:
        """Sessions other sources hold for the Web UI store that lack a file (S2.25)."""
        hook = "hermes_sessions_recoverable_sessions"
        found: dict[str, Session] = {}
        for source in self.ordered_sources():
            if source.info.writable or not self.implements(source, hook):
                continue
            try:
                result = self.call(source, hook, context=context, profile=profile)
            except Exception as error:
                self._record_source(source, hook, error)
                continue
            for session in result or ():
                if isinstance(session, Session) and is_valid_session_id(session.session_id):
                    found.setdefault(session.session_id, session)
        return list(found.values())

    def webui_store_facts(self, context: SourceContext) -> WebuiStoreFacts | None:
        """What the Web UI store holds, asked of it with ``context`` when a plugin first wants
        it; ``None`` without a Web UI store. Handed to plugins as ``context.webui_store``."""
        if self.writable_source() is None:
            return None
        return WebuiStoreFacts(
            lambda profile, ids: self.stored_sessions(context, profile, ids),
            lambda: self.deleted_ids(context),
        )

    def stored_sessions(
        self, context: SourceContext, profile: str | None, session_ids: frozenset[str] | None
    ) -> list[StoredSession]:
        """The Web UI store's sessions (of ``profile``, among ``session_ids``); a failing or
        malformed answer is reported and counts as none."""
        from .hookspecs import StoredSession

        hook = "hermes_sessions_stored_sessions"
        source = self.writable_source()
        if source is None or not self.implements(source, hook):
            return []
        try:
            answer = self.call(
                source, hook, context=context, profile=profile, session_ids=session_ids
            )
        except Exception as error:
            self._record_source(source, hook, error)
            return []
        if answer is None:
            return []
        if not isinstance(answer, (list, tuple)):
            wrong = TypeError(f"returned {type(answer).__name__}, expected a list of StoredSession")
            self._record_source(source, hook, wrong)
            return []
        good = [
            stored for stored in answer
            if isinstance(stored, StoredSession) and is_valid_session_id(stored.session_id)
        ]
        if len(good) != len(answer):
            bad = ValueError(f"{len(answer) - len(good)} malformed record(s) dropped")
            self._record_source(source, hook, bad)
        return good

    def deleted_ids(self, context: SourceContext) -> frozenset[str]:
        """The ids deleted from the Web UI store; a failing or malformed answer is reported
        and counts as none."""
        hook = "hermes_sessions_deleted_ids"
        source = self.writable_source()
        if source is None or not self.implements(source, hook):
            return frozenset()
        try:
            answer = self.call(source, hook, context=context)
        except Exception as error:
            self._record_source(source, hook, error)
            return frozenset()
        if answer is None:
            return frozenset()
        if not isinstance(answer, (set, frozenset)):
            wrong = TypeError(f"returned {type(answer).__name__}, expected frozenset[str]")
            self._record_source(source, hook, wrong)
            return frozenset()
        return frozenset(i for i in answer if isinstance(i, str))

    def project_facts(self, context: SourceContext) -> ProjectFacts | None:
        """What the projects keeper holds, asked of it with ``context`` when a plugin first
        wants it; ``None`` when no plugin keeps projects. Handed to plugins as
        ``context.projects``."""
        if not self._project_keepers():
            return None
        return ProjectFacts(lambda profile: self.cron_project_id(context, profile))

    def cron_project_id(self, context: SourceContext, profile: str) -> str | None:
        """The first keeper's id of ``profile``'s Cron Jobs project, never created here (S5.6);
        a raising keeper or a malformed answer is reported and the next one asked, because
        the listing that asks must never fail."""
        hook = "hermes_sessions_cron_project_id"
        for name in self._project_keepers():
            try:
                answer = self.call_plugin(name, hook, context=context, profile=profile)
                if answer is not None:
                    return validate_project_id(answer)
            except Exception as error:  # noqa: BLE001 - a broken keeper is a reported fact
                self._record(name, hook, error, self.distribution_of(name))
        return None

    def _project_keepers(self) -> list[str]:
        """The plugins answering ``hermes_sessions_cron_project_id`` in calling order; found
        once, as every agent listing asks them."""
        if self._keepers is None:
            self._keepers = [
                name for name, _plugin in self._answering("hermes_sessions_cron_project_id")
            ]
        return self._keepers

    def projects(
        self, context: SourceContext, profile: str
    ) -> tuple[list[Project], list[Problem]]:
        """Every plugin's projects for ``profile``, in registration order (built-ins first).

        One implementation at a time: a raising plugin or a malformed answer becomes a
        problem and the others still answer. The first project with a given id wins.
        """
        from .hookspecs import Project

        hook = "hermes_sessions_projects"
        found: dict[str, Project] = {}
        problems: list[Problem] = []
        for name, _plugin in self._answering(hook):
            try:
                answer = self.call_plugin(name, hook, context=context, profile=profile)
            except Exception as error:  # noqa: BLE001 - a broken plugin is a reported fact
                problems.append(self._record(name, hook, error, self.distribution_of(name)))
                continue
            bad = 0
            listed: Any = answer if isinstance(answer, (list, tuple)) else ()
            if answer is not None and not isinstance(answer, (list, tuple)):
                bad = 1
            for project in listed:
                if isinstance(project, Project) and project.project_id:
                    found.setdefault(project.project_id, project)
                else:
                    bad += 1
            if bad:
                wrong = ValueError(f"{bad} malformed project(s) dropped (not Project or no id)")
                problems.append(self._record(name, hook, wrong, self.distribution_of(name)))
        return list(found.values()), problems

    def search(
        self, context: SourceContext, query: SearchQuery, enabled: Callable[[str], bool]
    ) -> SearchResults:
        """Every enabled source's hits, one source at a time, merged and ranked (S6.13).

        A raising source or a malformed answer becomes a problem; the others still answer.
        """
        from .search import SearchHit, SearchResults, merge_results

        hook = "hermes_sessions_search"
        answers: list[SearchResults] = []
        for source in self.ordered_sources():
            name = source.info.name
            if not (enabled(name) and query.accepts_source(name) and self.implements(source, hook)):
                continue
            try:
                result = self.call(source, hook, context=context, query=query)
            except Exception as error:
                answers.append(SearchResults(problems=(self._record_source(source, hook, error),)))
                continue
            if result is None:
                continue
            if not isinstance(result, SearchResults):
                wrong = TypeError(f"returned {type(result).__name__}, expected SearchResults")
                answers.append(SearchResults(problems=(self._record_source(source, hook, wrong),)))
                continue
            good = tuple(
                hit for hit in result.hits
                if isinstance(hit, SearchHit) and is_valid_session_id(hit.session_id)
            )
            problems = result.problems
            if len(good) != len(result.hits):
                bad = ValueError(f"{len(result.hits) - len(good)} malformed hit(s) dropped")
                problems += (self._record_source(source, hook, bad),)
            answers.append(SearchResults(good, problems, (name,)))
        return merge_results(answers, query)

    def rebuild_search_index(
        self,
        context: SourceContext,
        progress: Callable[[str, int, int], None] | None,
        enabled: Callable[[str], bool],
    ) -> tuple[dict[str, int], list[Problem]]:
        """Rebuild every enabled source's own search index; failures are reported, not raised."""
        hook = "hermes_sessions_rebuild_search_index"
        counts: dict[str, int] = {}
        problems: list[Problem] = []
        for source in self.ordered_sources():
            name = source.info.name
            if not (enabled(name) and self.implements(source, hook)):
                continue

            def report(done: int, total: int, _name: str = name) -> None:
                if progress is not None:
                    progress(_name, done, total)

            try:
                count = self.call(source, hook, context=context, progress=report)
            except Exception as error:
                problems.append(self._record_source(source, hook, error))
                continue
            if isinstance(count, int):
                counts[name] = count
        return counts, problems

    def shutdown(self, context: SourceContext) -> list[Problem]:
        """Tell every source its store is closing; failures are reported, not raised."""
        problems = []
        hook = "hermes_sessions_shutdown"
        for source in self.ordered_sources():
            if not self.implements(source, hook):
                continue
            try:
                self.call(source, hook, context=context)
            except Exception as error:
                problems.append(self._record_source(source, hook, error))
        return problems

    def agent_transcript(
        self, context: SourceContext, profile: str, session_id: str
    ) -> AgentTranscript | None:
        """The agent's own record of a session's interrupted turn, from the first source that
        keeps one (S2.38); a raising source or a malformed answer is reported, never raised,
        because the repair that asks must never fail (S2.39)."""
        from .hookspecs import AgentTranscript

        hook = "hermes_sessions_agent_transcript"
        for source in self.ordered_sources():
            if not self.implements(source, hook):
                continue
            try:
                answer = self.call(
                    source, hook, context=context, profile=profile, session_id=session_id
                )
            except Exception as error:
                self._record_source(source, hook, error)
                continue
            if answer is None:
                continue
            if not isinstance(answer, AgentTranscript) or not answer.messages:
                wrong = TypeError(
                    f"returned {type(answer).__name__}, expected AgentTranscript with messages"
                )
                self._record_source(source, hook, wrong)
                continue
            return answer
        return None

    # ── plumbing ─────────────────────────────────────────────────────────────────────────

    def _answering(self, hook_name: str) -> list[tuple[str, object]]:
        return self._calls.answering(hook_name)

    def implements(self, source: Source, hook_name: str) -> bool:
        """Whether ``source`` answers ``hook_name`` (a wrapper alone does not)."""
        return self._calls.implements(source.name, hook_name)

    def call(self, source: Source, hook_name: str, **arguments: Any) -> Any:
        """One source's answer to ``hook_name``, the way every method here asks it: through
        pluggy, a third-party read bounded by the store's ``call_timeout``. Errors propagate
        (the conformance kit calls hooks this way to see what a plugin really does)."""
        return self._ask(source.name, source.builtin, hook_name, arguments)

    def call_plugin(self, plugin_name: str, hook_name: str, **arguments: Any) -> Any:
        """The same for a plugin that answers for the whole store (projects), source or not."""
        return self._ask(plugin_name, self._is_builtin(plugin_name), hook_name, arguments)

    def _ask(
        self, plugin_name: str, builtin: bool, hook_name: str, arguments: dict[str, Any]
    ) -> Any:
        seconds = None if builtin else self._timeout_for(hook_name, arguments.get("context"))
        return self._calls.call(plugin_name, hook_name, seconds, **arguments)

    def _timeout_for(self, hook_name: str, context: object) -> float | None:
        """The bound of a third-party call: the store's ``core.call_timeout``, else ours."""
        return bound_for(hook_name, getattr(context, "settings", None), self.call_timeout)

    def _checked_listing(self, source: Source, result: object) -> SourceListing:
        hook = "hermes_sessions_list_rows"
        if not isinstance(result, SourceListing):
            problem = self._record_source(
                source, hook, TypeError(f"returned {type(result).__name__}, expected SourceListing")
            )
            return SourceListing(source.info.name, problems=(problem,))
        if source.builtin and result.source == source.info.name:
            return result  # built-in rows are typed and validated where they are made
        good: list[SessionRow] = []
        bad = 0
        for row in result.rows:
            if isinstance(row, SessionRow) and is_valid_session_id(row.get("session_id")):
                good.append(row)
            else:
                bad += 1
        problems = list(result.problems)
        if bad:
            problems.append(
                self._record_source(
                    source, hook,
                    ValueError(f"{bad} malformed row(s) dropped (not SessionRow or invalid id)"),
                )
            )
        if bad or result.source != source.info.name:
            return SourceListing(source.info.name, tuple(good), tuple(problems))
        return result

    def _record_source(self, source: Source, hook: str, error: BaseException) -> Problem:
        return self._record(source.name, hook, error, source.distribution)

    def _record(
        self, name: str, hook: str, error: BaseException, distribution: str | None = None
    ) -> Problem:
        problem = Problem.from_exception(name, hook, error, distribution=distribution)
        key = (problem.source, problem.hook, problem.error_type, problem.message)
        with self._lock:
            first = key not in self._logged
            if first:
                self._logged.add(key)
                self.problems.append(problem)
        if first:
            logger.warning("hermes-sessions source failed: %s", problem.describe(), exc_info=error)
        return problem
