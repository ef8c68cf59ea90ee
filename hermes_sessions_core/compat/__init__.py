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

from pathlib import Path
from typing import Any

from ..models import title_from  # noqa: F401  re-exported
from ..transcript_rules import merge_messaging_transcripts  # noqa: F401  re-exported
from .external import (  # noqa: F401  re-exported
    _default_claude_code_projects_dir,
    clear_cli_sessions_cache,
    count_conversation_rounds,
    delete_cli_session,
    get_claude_code_session_messages,
    get_claude_code_sessions,
    get_cli_session_messages,
    get_cli_sessions,
    get_messaging_session_messages,
    import_cli_session,
)
from .host import (  # noqa: F401  re-exported
    _CLI_SESSIONS_CACHE_TTL_SECONDS,
    _CRON_PROJECT_LOCK,
    _PROJECTS_MIGRATION_LOCK,
    _REPAIR_STALE_PENDING_GRACE_SECONDS,
    CLAUDE_CODE_MAX_CONTENT_CHARS,
    CLAUDE_CODE_MAX_FILE_BYTES,
    CLAUDE_CODE_MAX_FILES,
    CLAUDE_CODE_MAX_MESSAGES_PER_FILE,
    CLAUDE_CODE_SOURCE,
    CLAUDE_CODE_SOURCE_LABEL,
    CLI_VISIBLE_SESSION_LIMIT,
    CONVERSATION_ROUND_THRESHOLD,
    CRON_PROJECT_NAME,
    HOST_OVERRIDABLE,
    _active_state_db_path,
    _active_stream_ids,
    _configured_model,
    _get_profile_home,
    _locations,
    _projects_migrated,
    bind_host_module,
    configure,
    get_store,
    reset,
)
from .projects import (  # noqa: F401  re-exported
    ensure_cron_project,
    is_cron_session,
    list_projects,
    load_projects,
    save_projects,
)
from .sessions import (  # noqa: F401  re-exported
    Session,
    UnreadableSessionKeyError,
    _apply_core_sync_or_error_marker,
    _enrich_sidebar_lineage_metadata,
    _hide_from_default_sidebar,
    _index_entry_exists,
    _repair_stale_pending,
    _write_session_index,
    all_sessions,
    get_session,
    new_session,
)

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
