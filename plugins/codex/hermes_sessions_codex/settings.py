"""Where Codex keeps its rollouts, and this source's limits (``context.setting("codex", …)``).

A root is a Codex home (``$CODEX_HOME``, ``~/.codex`` by default; ``settings["codex"]["home"]``
wins over the environment). It holds ``sessions/YYYY/MM/DD/rollout-*.jsonl`` and, for archived
threads, ``archived_sessions/``. Extra roots (other machines) are Codex homes too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.source_settings import positive_int_settings

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext

__all__ = [
    "SOURCE_NAME", "SOURCE_LABEL", "ID_PREFIX", "ROOT_PATTERNS", "CodexSettings", "codex_home",
]

SOURCE_NAME = "codex"
SOURCE_LABEL = "Codex"
ID_PREFIX = "codex_"
#: What a remote mirror copies from a Codex home (relative glob patterns).
ROOT_PATTERNS = (
    "sessions/*/*/*/rollout-*.jsonl",
    "archived_sessions/rollout-*.jsonl",
    "archived_sessions/*/*/*/rollout-*.jsonl",
)


def codex_home(context: SourceContext) -> str:
    """``settings["codex"]["home"]``, else ``$CODEX_HOME``, else ``~/.codex``."""
    configured = context.setting(SOURCE_NAME, "home", None)
    if isinstance(configured, (str, os.PathLike)) and os.fspath(configured):
        home = str(os.fspath(configured))
    else:
        home = str(context.locations.env.get("CODEX_HOME") or "~/.codex")
    return os.path.expanduser(home)


@dataclass(frozen=True)
class CodexSettings:
    """Limits for one listing or transcript read.

    ``max_files``: the most recently modified rollouts a listing reads. Files up to
    ``full_scan_bytes`` are parsed whole; larger ones are summarised from their first
    ``head_bytes`` (extended up to ``prompt_scan_bytes`` until the first prompt is found) and
    last ``tail_bytes``, marked ``stats_estimated``, and made exact later by a full pass of at
    most ``count_scan_bytes`` per listing. Files above ``max_file_bytes`` are read as their head
    and their last ``max_file_bytes`` and marked ``truncated``. A transcript shows the last
    ``max_messages`` messages; message text is cut at ``max_content_chars``.
    """

    max_files: int = 200
    head_bytes: int = 64 * 1024
    tail_bytes: int = 16 * 1024
    prompt_scan_bytes: int = 1024 * 1024
    full_scan_bytes: int = 192 * 1024
    count_scan_bytes: int = 4 * 1024 * 1024
    max_file_bytes: int = 10 * 1024 * 1024
    max_messages: int = 1000
    max_content_chars: int = 200_000
    cache_entries: int = 8192

    @classmethod
    def from_context(cls, context: SourceContext | None, **overrides: Any) -> CodexSettings:
        """Defaults, then the store's settings, then ``overrides``; bad values are ignored."""
        return positive_int_settings(cls, SOURCE_NAME, context, overrides)
