"""This source's limits (``context.setting("codex", …)``), and its names and where Codex keeps
its rollouts as they were imported from here (they live in :mod:`.names` and :mod:`.machines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.source_settings import read_source_settings

# In light modules (registering the plugin and listing a machine without Codex need nothing
# else); imported here so these import paths keep working.
from .machines import ROOT_PATTERNS, codex_home
from .names import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext

__all__ = [
    "SOURCE_NAME", "SOURCE_LABEL", "ID_PREFIX", "ROOT_PATTERNS", "CodexSettings", "codex_home",
]


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
        return read_source_settings(cls, SOURCE_NAME, context, overrides)
