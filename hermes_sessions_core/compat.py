"""A drop-in for the Web UI's session module (``api/models.py``): same names, signatures, shapes.

An adapter over :class:`~hermes_sessions_core.store.SessionStore` and the dispatcher: every rule
lives in the core or in the plugin that owns the data, so the library, the command line and the
drop-in agree. The Web UI runs on it with ``examples/webui/api/models.py``, which imports the
host's own objects and calls :func:`bind_host_module`; from then on this module reads the host
module on every call (its session cache and locks, its streams, the profile of the request, and
any global a host or test reassigns there). Other hosts hand over the same facts as callbacks::

    from hermes_sessions_core import compat as models
    models.configure(
        live_stream_ids=lambda: list(STREAMS),        # running streams
        active_profile=get_active_profile_name,       # the profile the user picked
        last_workspace=get_last_workspace,            # () or (profile) -> path
        default_model=get_effective_default_model,    # () -> model name or config
    )

Nothing happens at import (S7.9): the environment (``HERMES_WEBUI_STATE_DIR``, ``HERMES_HOME``,
``HERMES_WEBUI_CLAUDE_PROJECTS_DIR``, ``HERMES_WEBUI_TEST_STATE_DIR``) is read and the
:class:`~hermes_sessions_core.store.SessionStore` built on first use; the environment is never
written. Results match the original on the same data folder except where SPEC section 8 says
the original was wrong; those corrections are listed in ``docs/projects.md`` and in the
docstrings below ("Corrected:").
"""

from __future__ import annotations

import copy
import importlib
import inspect
import logging
import os
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .aggregate import lineage_additions, renamed_titles, with_renamed_title
from .errors import InvalidProfileName, SessionNotFound, SessionUnreadable
from .hookspecs import ListRequest, SourceContext
from .locations import DEFAULT_PROFILE, Locations, validate_profile_name
from .models import (
    MESSAGING_IDENTITY_FIELDS,
    is_valid_session_id,
    require_valid_session_id,
    title_from,
    validate_project_id,
)
from .models import Session as _CoreSession
from .models import is_cron_session as _is_cron_session
from .store import SessionStore
from .transcript_rules import merge_messaging_transcripts, replaces_stored_transcript

if TYPE_CHECKING:
    from .hookspecs import Project

__all__ = [
    "HOST_OVERRIDABLE",
    "_CLI_SESSIONS_CACHE_TTL_SECONDS",
    "_CRON_PROJECT_LOCK",
    "_PROJECTS_MIGRATION_LOCK",
    "_REPAIR_STALE_PENDING_GRACE_SECONDS",
    "_active_state_db_path",
    "_active_stream_ids",
    "_apply_core_sync_or_error_marker",
    "_default_claude_code_projects_dir",
    "_enrich_sidebar_lineage_metadata",
    "_get_profile_home",
    "_hide_from_default_sidebar",
    "_index_entry_exists",
    "_projects_migrated",
    "_repair_stale_pending",
    "_write_session_index",
    "bind_host_module",
    "UnreadableSessionKeyError",
    "CLAUDE_CODE_MAX_CONTENT_CHARS",
    "CLAUDE_CODE_MAX_FILES",
    "CLAUDE_CODE_MAX_FILE_BYTES",
    "CLAUDE_CODE_MAX_MESSAGES_PER_FILE",
    "CLAUDE_CODE_SOURCE",
    "CLAUDE_CODE_SOURCE_LABEL",
    "CLI_VISIBLE_SESSION_LIMIT",
    "CONVERSATION_ROUND_THRESHOLD",
    "CRON_PROJECT_NAME",
    "Session",
    "all_sessions",
    "clear_cli_sessions_cache",
    "configure",
    "count_conversation_rounds",
    "delete_cli_session",
    "ensure_cron_project",
    "get_claude_code_session_messages",
    "get_claude_code_sessions",
    "get_cli_session_messages",
    "get_cli_sessions",
    "get_messaging_session_messages",
    "get_session",
    "get_store",
    "import_cli_session",
    "is_cron_session",
    "list_projects",
    "load_projects",
    "merge_messaging_transcripts",
    "new_session",
    "reset",
    "save_projects",
    "title_from",
]

logger = logging.getLogger(__name__)

CLI_VISIBLE_SESSION_LIMIT = 20
CONVERSATION_ROUND_THRESHOLD = 10
CRON_PROJECT_NAME = "Cron Jobs"
CLAUDE_CODE_SOURCE = "claude_code"
CLAUDE_CODE_SOURCE_LABEL = "Claude Code"
CLAUDE_CODE_MAX_FILES = 200
CLAUDE_CODE_MAX_FILE_BYTES = 10 * 1024 * 1024
CLAUDE_CODE_MAX_MESSAGES_PER_FILE = 1000
CLAUDE_CODE_MAX_CONTENT_CHARS = 200_000
_CLI_SESSIONS_CACHE_TTL_SECONDS = 5.0
_SESSIONS_MAX = 100
_REPAIR_STALE_PENDING_GRACE_SECONDS = 30
#: The original's locks, kept by name: hosts and tests swap or hold them.
_PROJECTS_MIGRATION_LOCK = threading.Lock()
_CRON_PROJECT_LOCK = threading.Lock()
_projects_migrated = False

_SOURCE_FIELDS = ("source_tag", "raw_source", "session_source", "source_label")
_UNSET: Any = object()


# ── what only the host knows ───────────────────────────────────────────────────────────────


class _Host:
    """Callbacks and options the host handed over; read on every use, never at import."""

    def __init__(self) -> None:
        self.live_stream_ids: Callable[[], Iterable[str]] | None = None
        self.active_profile: Callable[[], str | None] | None = None
        self.last_workspace: Callable[..., Any] | None = None
        self.default_model: Callable[[], object] | None = None
        self.root_profile_name: str | None = None
        self.locations: Locations | None = None
        self.store_options: dict[str, Any] = {}


_host = _Host()
_guard = threading.RLock()
_store: _CompatStore | None = None
_warned_profiles: set[str] = set()


def configure(
    *,
    live_stream_ids: Callable[[], Iterable[str]] | None = _UNSET,
    active_profile: Callable[[], str | None] | None = _UNSET,
    last_workspace: Callable[..., Any] | None = _UNSET,
    default_model: Callable[[], object] | None = _UNSET,
    root_profile_name: str | None = _UNSET,
    locations: Locations | None = _UNSET,
    store_options: Mapping[str, Any] | None = _UNSET,
) -> None:
    """Hand over what only the host knows. Arguments left out keep their current value.

    - ``live_stream_ids()``: ids of running streams (the original's ``STREAMS`` keys);
    - ``active_profile()``: the active profile's name (``get_active_profile_name``);
    - ``last_workspace()`` or ``last_workspace(profile)``: the last used workspace;
    - ``default_model()``: the configured default model, a name or the ``model`` config;
    - ``root_profile_name``: the renamed root profile, another alias of ``default`` (S7.4);
    - ``locations`` / ``store_options``: explicit places and :class:`SessionStore` keywords
      (tests; hosts with unusual layouts).

    Callbacks take effect at once; ``root_profile_name``, ``locations`` and ``store_options``
    rebuild the store on next use (the old one is closed first).
    """
    rebuild = False
    with _guard:
        if live_stream_ids is not _UNSET:
            _host.live_stream_ids = live_stream_ids
        if active_profile is not _UNSET:
            _host.active_profile = active_profile
        if last_workspace is not _UNSET:
            _host.last_workspace = last_workspace
        if default_model is not _UNSET:
            _host.default_model = default_model
        if root_profile_name is not _UNSET:
            _host.root_profile_name = root_profile_name
            rebuild = True
        if locations is not _UNSET:
            _host.locations = locations
            rebuild = True
        if store_options is not _UNSET:
            _host.store_options = dict(store_options or {})
            rebuild = True
    if rebuild:
        _drop_store()


def reset() -> None:
    """Forget every callback and option and close the store (tests; a host re-initialising)."""
    global _host
    with _guard:
        _host = _Host()
        _warned_profiles.clear()
    _drop_store()  # per-store state (the project back-fill's memory) goes with it


def _drop_store() -> None:
    global _store, _store_key
    with _guard:
        old, _store, _store_key = _store, None, None
    if old is not None:
        old.close()


# ── the bound host module ──────────────────────────────────────────────────────────────────

_host_module: types.ModuleType | None = None
_profiles_module_name: str | None = None
_store_key: tuple[Any, ...] | None = None
#: The host's own agent row reader, as its module held it when bound (see _replaced_row_reader).
_ROW_READER = "read_importable_agent_session_rows"
_bound_row_reader: Any = None


def bind_host_module(module: types.ModuleType, *, profiles: str | None = None) -> None:
    """Read the host's state from ``module`` (the Web UI's ``api.models``) on every call.

    The host's file imports its own objects into ``module`` and re-exports this drop-in there;
    from then on this module reads, at each call, the module's globals as the original did:
    ``SESSION_DIR``, ``PROJECTS_FILE`` and ``DEFAULT_WORKSPACE`` (where data lives; a change
    rebuilds the store), ``SESSIONS``/``LOCK``/``SESSIONS_MAX`` (the host's session cache *is*
    the store's cache), ``STREAMS``/``STREAMS_LOCK`` (live streams),
    ``_get_session_agent_lock`` (per-session locks), ``get_last_workspace`` and
    ``get_effective_default_model``; and it calls the module's current value of every name in
    :data:`HOST_OVERRIDABLE`, so a host or test that reassigns one there is obeyed.
    ``profiles`` names the host's profile module (``"api.profiles"``), imported at each use as
    the original did: the per-request profile and profile homes come from it, and when it cannot
    be imported the plain rules apply.
    """
    global _host_module, _profiles_module_name, _bound_row_reader
    with _guard:
        _host_module = module
        _profiles_module_name = profiles
        _bound_row_reader = getattr(module, _ROW_READER, None)
    _drop_store()


def _profiles() -> types.ModuleType | None:
    """The host's profile module, or None when unbound or not importable right now."""
    if _profiles_module_name is None:
        return None
    try:
        return importlib.import_module(_profiles_module_name)
    except ImportError:
        return None


#: Names the drop-in reads through the bound host module at each use, never directly: a host
#: or test that reassigns one of them in ``api.models`` is obeyed on the next call. (The
#: original's agent row reader, ``read_importable_agent_session_rows``, is used only once a host
#: replaces it: see :func:`_replaced_row_reader`.)
HOST_OVERRIDABLE = (
    "CLI_VISIBLE_SESSION_LIMIT", "_CLI_SESSIONS_CACHE_TTL_SECONDS",
    "_REPAIR_STALE_PENDING_GRACE_SECONDS", "_active_state_db_path", "_active_stream_ids",
    "_apply_core_sync_or_error_marker", "_enrich_sidebar_lineage_metadata", "_get_profile_home",
    "_get_session_agent_lock", "_index_entry_exists", "get_claude_code_session_messages",
    "get_claude_code_sessions",
)


def _hosted(name: str) -> Any:
    """The host module's current value of ``name``, else this module's own."""
    module = _host_module
    if module is not None:
        value = getattr(module, name, _UNSET)
        if value is not _UNSET:
            return value
    return globals()[name]


def _host_setting(name: str, default: Any = None) -> Any:
    module = _host_module
    return default if module is None else getattr(module, name, default)


class _CompatStore(SessionStore):
    """The shared store, plus a per-thread switch that lists only the Web UI store.

    The original's ``all_sessions()`` lists Web UI files only; agent and Claude Code rows come
    from ``get_cli_sessions()``. The switch keeps one store (one cache, one set of locks).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._only_writable = threading.local()

    @contextmanager
    def writable_only(self) -> Iterator[None]:
        self._only_writable.on = True
        try:
            yield
        finally:
            self._only_writable.on = False

    def source_enabled(self, name: str) -> bool:
        if getattr(self._only_writable, "on", False):
            writable = self.dispatcher.writable_source()
            return writable is not None and name == writable.info.name
        return super().source_enabled(name)


def _environment_locations() -> Locations:
    locations = Locations.from_environment(root_profile_name=_host.root_profile_name)
    env = os.environ
    if env.get("HERMES_WEBUI_TEST_STATE_DIR") and not env.get("HERMES_WEBUI_CLAUDE_PROJECTS_DIR"):
        # As the original: a host test run never reads the real ~/.claude.
        locations = replace(locations, claude_projects_dirs=())
    return locations


#: Source options of the drop-in's store: as the original, an agent session is read from the
#: active profile's store only, and agent rows are cached by get_cli_sessions alone (so
#: clear_cli_sessions_cache forgets everything).
_DROP_IN_SETTINGS: Mapping[str, Mapping[str, Any]] = {
    "agent_state_db": {"search_every_profile": False, "cache_ttl": 0.0},
}


def _bound_store_key() -> tuple[Any, ...] | None:
    module = _host_module
    if module is None:
        return None
    return tuple(
        (name, id(value) if name in ("SESSIONS", "LOCK") else str(value))
        for name in (
            "SESSION_DIR", "SESSION_INDEX_FILE", "PROJECTS_FILE", "DEFAULT_WORKSPACE", "SESSIONS",
            "LOCK",
        )
        for value in [getattr(module, name, None)]
    )


def _bound_store() -> _CompatStore:
    """A store on the bound host's folders, cache and locks."""
    module = _host_module
    assert module is not None
    session_dir = Path(os.fspath(module.SESSION_DIR))
    projects_file = getattr(module, "PROJECTS_FILE", None)
    default_workspace = getattr(module, "DEFAULT_WORKSPACE", None)
    locations = replace(
        _environment_locations(),
        session_url=str(session_dir),
        projects_file_override=Path(os.fspath(projects_file)) if projects_file else None,
        default_workspace_override=os.fspath(default_workspace) if default_workspace else None,
        active_profile_resolver=_host_profile,
        profile_home_resolver=_bound_profile_home,
        root_profile_test=_host_root_profile,
    )
    settings = dict(_DROP_IN_SETTINGS)
    # The host's pages and its MCP server read _index.json themselves: keep it current.
    settings["json_fs"] = {"fold_every_save": True}
    index_file = getattr(module, "SESSION_INDEX_FILE", None)
    if index_file is not None:  # the project back-fill reads the index the host names
        settings["cron_projects"] = {"index_file": os.fspath(index_file)}
    options: dict[str, Any] = {"cli_row_limit": -1, "settings": settings, **_host.store_options}
    return _CompatStore(
        locations,
        live_stream_ids=lambda: _hosted("_active_stream_ids")(),
        last_workspace=_last_workspace,
        configured_model=_configured_model,
        cache=module.SESSIONS,
        cache_lock=module.LOCK,
        session_lock=lambda session_id: _hosted("_get_session_agent_lock")(session_id),
        cache_size=int(getattr(module, "SESSIONS_MAX", 100) or 100),
        **options,
    )


def get_store() -> SessionStore:
    """The store every function here uses, built on first use from the environment (or from
    the bound host module, rebuilt when the host points it elsewhere)."""
    global _store, _store_key
    with _guard:
        key = _bound_store_key()
        if _store is not None and key != _store_key:
            old, _store = _store, None
            old.close()
        if _store is None:
            if key is not None:
                _store = _bound_store()
            else:
                options = {
                    "cli_row_limit": -1, "settings": dict(_DROP_IN_SETTINGS),
                    **_host.store_options,
                }
                _store = _CompatStore(
                    replace(
                        _host.locations or _environment_locations(),
                        active_profile_resolver=_host_profile,
                    ),
                    live_stream_ids=_live_stream_ids,
                    last_workspace=_last_workspace,
                    configured_model=_configured_model,
                    **options,
                )
            _store_key = key
        return _store


def _locations() -> Locations:
    return get_store().locations


def _live_stream_ids() -> Iterable[str]:
    callback = _host.live_stream_ids
    return list(callback()) if callback is not None else ()


def _active_stream_ids() -> set[str]:
    """Ids of running streams: the bound host's ``STREAMS`` keys, else the callback's."""
    streams = _host_setting("STREAMS")
    if streams is None:
        return set(_live_stream_ids())
    lock = _host_setting("STREAMS_LOCK")
    if lock is None:
        return set(streams)
    with lock:
        return set(streams)


def _configured_model() -> object:
    callback = _host.default_model or _host_setting("get_effective_default_model")
    return callback() if callback is not None else None


def _last_workspace(profile: str | None) -> str | None:
    callback = _host.last_workspace or _host_setting("get_last_workspace")
    if callback is None:
        return None
    try:
        takes_profile = len(inspect.signature(callback).parameters) > 0
    except (TypeError, ValueError):
        takes_profile = False
    value = callback(profile) if takes_profile else callback()
    return str(value) if value else None


def _existing_last_workspace(profile: str) -> str | None:
    """The profile's last workspace if it still exists (S2.31)."""
    try:
        last = _last_workspace(profile)
    except Exception:
        logger.exception("the host's last-workspace callback failed")
        return None
    return last if last and os.path.isdir(os.path.expanduser(last)) else None


def _active_profile() -> str:
    """The host's active profile, else ``<base>/active_profile``; a bad name counts as default.

    The original fell back to the launch home when the profile could not be resolved; an
    unknown or traversing name is never turned into a path here (S7.2, S7.3).
    """
    return _locations().active_profile()


def _tolerated_profile(name: object) -> str:
    """A profile name from a request: itself if valid, else ``default`` with one warning."""
    try:
        return validate_profile_name(str(name))
    except InvalidProfileName:
        if str(name) not in _warned_profiles:
            _warned_profiles.add(str(name))
            logger.warning("profile %r is not a valid profile name; using default", name)
        return DEFAULT_PROFILE


def _host_profile() -> str | None:
    """The profile the host says is active (callback, else its profile module), validated;
    ``None`` when it says nothing, so the store's own rules apply (S7.5)."""
    name: object = None
    callback = _host.active_profile
    profiles = _profiles() if callback is None else None
    if profiles is not None:
        callback = getattr(profiles, "get_active_profile_name", None)
    if callback is not None:
        try:
            name = callback()
        except Exception:
            logger.exception("the host's active-profile callback failed; using the default")
            return DEFAULT_PROFILE
    if not name:
        return DEFAULT_PROFILE if _host_module is not None else None
    return _tolerated_profile(name)


def __getattr__(name: str) -> Any:
    # The original re-exported these from its config; computed on first use here.
    if name == "SESSION_DIR":
        return _locations().session_dir
    if name == "SESSION_INDEX_FILE":
        return _locations().session_dir / "_index.json"
    if name == "PROJECTS_FILE":
        return _locations().projects_file
    if name == "SESSIONS_MAX":
        return get_store().cache_size
    if name == "DEFAULT_WORKSPACE":
        return Path(_locations().default_workspace)
    if name == "DEFAULT_MODEL":
        return _locations().default_model(_configured_model())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    try:
        session, source = store.dispatcher.load_session(store.context(), sid, metadata_only)
    except SessionNotFound:
        return None
    if not source.info.writable:
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
    _stage(diag, "all_sessions.active_streams")
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
    for row in sessions:
        session_id = row.get("session_id")
        if isinstance(session_id, str) and session_id:
            by_profile.setdefault(str(row.get("profile") or DEFAULT_PROFILE), set()).add(session_id)
    metadata: dict[str, Mapping[str, Any]] = {}
    for profile, ids in by_profile.items():
        found, _problems = store.dispatcher.lineage_metadata(
            store.context(), profile, frozenset(ids)
        )
        metadata.update(found)
    for row in sessions:
        keys = metadata.get(row.get("session_id"))  # type: ignore[arg-type]
        if keys:
            row.update(lineage_additions(row, keys))


def _repair_stale_pending(session: Any) -> bool:
    """Repair a session whose turn was interrupted, if it is stale (S2.36-S2.39); never raises.

    The steps are the original's, each through the host module so a host can replace one:
    the grace check, then the session's lock taken without waiting, then
    ``_apply_core_sync_or_error_marker`` with the agent transcript of the session's profile.
    """
    from .pending_repair import needs_repair

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
        if _host_module is not None:
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
    from .pending_repair import repair_locked

    store = get_store()
    return repair_locked(
        session,
        lambda: frozenset(_hosted("_active_stream_ids")()),
        Path(os.fspath(core_path)) if core_path else None,
        lambda s: store.save(s),
        expected_stream=stream_id_for_recheck,
        require_stream_dead=require_stream_dead,
    )


def _default_claude_code_projects_dir() -> Path | None:
    """The first Claude Code projects folder this machine uses (S4.1)."""
    roots = _claude_roots(None)
    return roots[0] if roots else None


# ── projects ───────────────────────────────────────────────────────────────────────────────


def load_projects(*, _migrate: bool = True) -> list[dict[str, Any]]:
    """Every project of every profile; ``[]`` when the file is missing or does not parse.

    The first load in a process tags untagged projects once (S5.2); ``_migrate=False`` reads
    the file as it is.
    """
    try:
        return get_store().stored_projects(migrate=_migrate)
    except Exception as error:  # noqa: BLE001 - as the original: no projects, never a crash
        logger.warning("projects are unreadable, listing none: %s", error)
        return []


def save_projects(projects: list[dict[str, Any]]) -> None:
    """Replace the project list atomically (S2.3).

    Corrected: a stored file that does not parse is never replaced (``ProjectsFileUnreadable``,
    S8.8), and a project without a valid ``project_id`` is refused (``InvalidProjectId``).
    """
    get_store().replace_projects(projects)


def ensure_cron_project() -> str:
    """The active profile's ``Cron Jobs`` project id, created once under a lock (S5.4).

    Corrected: it raises instead of replacing an unreadable ``projects.json`` (S8.8).
    """
    return get_store().ensure_cron_project(_active_profile())


def is_cron_session(session_id: Any, source_tag: Any = None) -> bool:
    """``source_tag`` ``cron`` or an id starting ``cron_`` (S5.5)."""
    return _is_cron_session(session_id, source_tag)


def list_projects(profile: str | None = None) -> list[Project]:
    """The profile's projects from ``projects.json`` and every plugin's hook (S5.3); read-only."""
    store = get_store()
    chosen = validate_profile_name(profile) if profile else _active_profile()
    projects, _problems = store.dispatcher.projects(store.context(), chosen)
    return projects


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


def _claude_roots(projects_dir: Any) -> list[Any]:
    if projects_dir is not None:
        return [Path(os.path.expanduser(os.fspath(projects_dir)))]
    return list(_locations().claude_projects_roots())


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
    rows: list[dict[str, Any]] = []
    try:
        rows.extend(_hosted("get_claude_code_sessions")())
    except Exception:
        logger.debug("Claude Code session scan failed", exc_info=True)
    reader = _replaced_row_reader()
    if reader is not None:
        try:
            rows.extend(_rows_from_host_reader(reader, profile))
        except Exception as error:  # noqa: BLE001 - the host's reader never empties the list
            logger.warning("get_cli_sessions() failed for %s: %s", _active_state_db(), error)
        return rows
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


def _replaced_row_reader() -> Callable[..., Iterable[Mapping[str, Any]]] | None:
    """The agent row reader the host put in its module in place of the one it imported.

    The original listed agent rows through ``read_importable_agent_session_rows``; we read
    ``state.db`` through the agent_state_db plugin. A host that replaces that reader in its
    module (a test double, another store) is obeyed, as for every other module global.
    """
    module = _host_module
    if module is None:
        return None
    current = getattr(module, _ROW_READER, None)
    return current if callable(current) and current is not _bound_row_reader else None


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


def _active_state_db() -> Path:
    return Path(_hosted("_active_state_db_path")())


def _active_state_db_path() -> Path:
    """``state.db`` of the active profile (the host's per-request profile when bound)."""
    profiles = _profiles()
    if profiles is not None:
        try:
            home = Path(profiles.get_active_hermes_home()).expanduser().resolve()
            return home / "state.db"
        except Exception:  # noqa: BLE001 - as the original: fall back to the plain rules
            logger.debug("the host's active Hermes home is unavailable", exc_info=True)
    if _host_module is not None:
        return _launch_home() / "state.db"
    return _locations().state_db(_active_profile())


def _launch_home() -> Path:
    """``HERMES_HOME``, else ``~/.hermes``: the home the host was started with."""
    return Path(os.path.expanduser(os.environ.get("HERMES_HOME") or "~/.hermes")).resolve()


def _get_profile_home(profile: Any) -> Path:
    """The agent home of ``profile``: the host's answer, else the launch home for the root
    profile and ``<base>/profiles/<name>`` for a named one; an unknown or traversing name is
    the launch home (S7.3)."""
    profiles = _profiles()
    if profiles is not None:
        return Path(profiles.get_hermes_home_for_profile(profile))
    if profile and profile != DEFAULT_PROFILE:
        try:
            return Locations.from_environment().profile_home(str(profile))
        except InvalidProfileName:
            pass
    return _launch_home()


def _host_root_profile(name: str) -> bool:
    """The host's renamed-root test (S7.4); False when its profile module is unavailable."""
    profiles = _profiles()
    test = getattr(profiles, "_is_root_profile", None) if profiles is not None else None
    if test is None:
        return False
    try:
        return bool(test(name))
    except Exception:  # noqa: BLE001 - a failing lookup only loses the alias
        logger.debug("the host's root-profile test failed for %r", name, exc_info=True)
        return False


def _bound_profile_home(profile: str) -> Path:
    """Profile homes of a bound host: the active profile's is the host's active home, as the
    original read every agent store of the current request; others come from
    ``_get_profile_home``."""
    if profile == _active_profile():
        return Path(_hosted("_active_state_db_path")()).parent
    return Path(_hosted("_get_profile_home")(profile))


def get_cli_session_messages(sid: Any) -> list[dict[str, Any]]:
    """An agent or Claude Code transcript of the active profile; ``[]`` on any error.

    Corrected: a session whose parents are continuations opens stitched, not empty (S8.1).
    """
    session_id = str(sid or "")
    if session_id.startswith(f"{CLAUDE_CODE_SOURCE}_"):
        return list(_hosted("get_claude_code_session_messages")(session_id))
    if not is_valid_session_id(session_id):
        return []
    store = get_store()
    transcript = store.dispatcher.read_messages(
        store.context(), session_id, None, _agent_sources(store).__contains__
    )
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
