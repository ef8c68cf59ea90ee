"""Where Codex keeps its sessions, and this source's options.

``$CODEX_HOME`` (default ``~/.codex``) holds ``sessions/YYYY/MM/DD/rollout-*.jsonl``. The store's
settings win over the environment: ``SessionStore(settings={"codex": {"home": "/path"}})``.
"""

from __future__ import annotations

import os
from pathlib import Path

from hermes_sessions_core.hookspecs import SourceContext

__all__ = ["SOURCE_NAME", "ID_PREFIX", "DEFAULT_LIMIT", "codex_home", "sessions_root", "row_limit"]

SOURCE_NAME = "codex"
#: Our ids are ``codex_<thread id>``: the prefix tells the core to route them here only.
ID_PREFIX = "codex_"
#: Newest rollouts listed when neither the request nor the settings give a limit.
DEFAULT_LIMIT = 100


def codex_home(context: SourceContext) -> Path:
    """``settings["codex"]["home"]``, else ``$CODEX_HOME``, else ``~/.codex``."""
    configured = context.setting(SOURCE_NAME, "home")
    if not configured:
        configured = context.locations.env.get("CODEX_HOME") or "~/.codex"
    return Path(os.path.expanduser(str(configured)))


def sessions_root(context: SourceContext) -> Path:
    return codex_home(context) / "sessions"


def row_limit(context: SourceContext, requested: int | None) -> int:
    if requested is not None:
        return max(0, int(requested))
    return int(context.setting(SOURCE_NAME, "limit", DEFAULT_LIMIT))
