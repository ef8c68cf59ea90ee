"""What only the host knows: its callbacks or its bound module, the store built on them, the
active profile and the agent homes it resolves."""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
import threading
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidProfileName
from ..locations import DEFAULT_PROFILE, Locations, validate_profile_name

if TYPE_CHECKING:
    from ..store import SessionStore
    from .shared_store import _CompatStore

logger = logging.getLogger("hermes_sessions_core.compat")


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
    return getattr(sys.modules[__package__ or "hermes_sessions_core.compat"], name)


def _is_bound() -> bool:
    """Whether a host module is bound (the Web UI), rather than callbacks configured."""
    return _host_module is not None


def _host_setting(name: str, default: Any = None) -> Any:
    module = _host_module
    return default if module is None else getattr(module, name, default)


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


def _with_user_settings(
    locations: Locations, settings: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """The user's settings file (other machines' roots, source options) under the drop-in's
    own, which win key by key. A broken file is logged and skipped: the sidebar still opens."""
    from ..settings_file import SettingsFileError, read_settings_file, settings_file_path

    try:
        merged: dict[str, Mapping[str, Any]] = dict(
            read_settings_file(settings_file_path(locations.state_dir, locations.env))
        )
    except SettingsFileError as error:
        logger.warning("%s; running without it", error)
        merged = {}
    for source, values in settings.items():
        merged[source] = {**merged.get(source, {}), **values}
    return merged


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
    from .shared_store import _CompatStore

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
    if index_file is not None and Path(os.fspath(index_file)) != session_dir / "_index.json":
        # The host keeps its index elsewhere (its tests move it): the Web UI store answers
        # which sessions it holds (the project back-fill asks) from there.
        settings["json_fs"] = {**settings["json_fs"], "index_file": os.fspath(index_file)}
    options: dict[str, Any] = {
        "cli_row_limit": -1, "settings": _with_user_settings(locations, settings),
        **_host.store_options,
    }
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
                from .shared_store import _CompatStore

                locations = replace(
                    _host.locations or _environment_locations(),
                    active_profile_resolver=_host_profile,
                )
                options = {
                    "cli_row_limit": -1,
                    "settings": _with_user_settings(locations, _DROP_IN_SETTINGS),
                    **_host.store_options,
                }
                _store = _CompatStore(
                    locations,
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
