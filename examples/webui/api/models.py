"""Hermes Web UI -- sessions and projects, stored by hermes-sessions.

This file replaces the Web UI's own ``api/models.py``. It holds no session logic: it binds
what only the Web UI knows (its session cache and lock, the stream registry, per-session
locks, the per-request profile, the last workspace, the default model) and re-exports the
drop-in from :mod:`hermes_sessions_core.compat`. Module globals keep the original's meaning:
reassigning one here (``SESSION_DIR``, ``SESSION_INDEX_FILE``, ``PROJECTS_FILE``,
``_get_profile_home``, ...) takes effect on the next call.

Install: ``pip install hermes-sessions`` in the Web UI's environment, then copy this file
over ``api/models.py``.
"""
import os  # noqa: F401  the original had it; host tests patch models.os.fsync
import sys

import api.config as _cfg  # noqa: F401  the original exposed it; some host code reads it
from api.agent_sessions import (  # noqa: F401  the original's agent readers; a host that
    read_importable_agent_session_rows,  # replaces one is obeyed
    read_session_lineage_metadata,
)
from api.config import (  # noqa: F401  the host's own state, bound below
    DEFAULT_MODEL,
    DEFAULT_WORKSPACE,
    HOME,
    LOCK,
    PROJECTS_FILE,
    SESSION_DIR,
    SESSION_INDEX_FILE,
    SESSIONS,
    SESSIONS_MAX,
    STREAMS,
    STREAMS_LOCK,
    _get_session_agent_lock,
    get_effective_default_model,
)
from api.workspace import get_last_workspace  # noqa: F401

from hermes_sessions_core import compat as _compat
from hermes_sessions_core.compat import *  # noqa: F401,F403

# api.profiles is imported at each use, as the original did: the profile of this request.
_compat.bind_host_module(sys.modules[__name__], profiles="api.profiles")
