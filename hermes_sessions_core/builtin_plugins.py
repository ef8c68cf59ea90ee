"""The built-in sources, by plugin name and module: one list for the manager and the CLI.

A module of its own, without pluggy, so the command line can name their loggers at start-up.
"""

from __future__ import annotations

__all__ = ["BUILTIN_PLUGINS"]

#: Built-in sources as (plugin name, module). Registered explicitly, in this order.
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("json_fs", "hermes_sessions_json_fs"),
    ("agent_state_db", "hermes_sessions_agent_state_db"),
    ("claude_code", "hermes_sessions_claude_code"),
    ("codex", "hermes_sessions_codex"),
    ("gemini_cli", "hermes_sessions_gemini_cli"),
    ("opencode", "hermes_sessions_opencode"),
    ("cron_projects", "hermes_sessions_cron_projects"),
)
