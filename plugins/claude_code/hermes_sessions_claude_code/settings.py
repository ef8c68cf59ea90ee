"""Per-store options of the Claude Code source, read from ``context.setting("claude_code", …)``.

Defaults follow the original (S4.15-S4.17); the window sizes decide how much of each
transcript a listing reads (S4.16, S4.18).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hermes_sessions_core.source_settings import read_source_settings

# In a module of their own (registering the plugin needs nothing else); imported here so this
# import path keeps working.
from .names import ID_PREFIX, SOURCE_LABEL, SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext

__all__ = ["SOURCE_NAME", "SOURCE_LABEL", "ID_PREFIX", "ClaudeCodeSettings"]


@dataclass(frozen=True)
class ClaudeCodeSettings:
    """Limits for one listing or transcript read.

    ``max_file_bytes``: files above it are read as ``head_bytes`` plus their last
    ``max_file_bytes`` and marked truncated (S4.16). ``row_full_scan_bytes``: a listing parses
    files up to this size whole, so their counts and tokens are exact; larger files are
    summarised from their first ``head_bytes`` and last ``row_tail_bytes``, and their exact
    counts are built up by reading at most ``count_scan_bytes`` per listing, less what that
    listing read to summarise changed files (see :mod:`.counts`); until a file's count is
    complete its row says ``stats_estimated``. ``line_scan_bytes``: when a file's last line is
    longer than ``max_file_bytes``, how far before the tail window its start is searched for
    (issue 13); no line longer than ``max_file_bytes`` is ever decoded. ``remote_max_files``:
    how many of a remote root's most recently modified transcripts (subagents included) its
    mirror keeps (see :mod:`hermes_sessions_core.remote_mirror`). ``subagent_usage``: read
    each listed session's subagent transcripts whole and add what they recorded to its
    ``usage`` entries (see :mod:`.subagent_usage`); off for the sidebar, on for
    ``hermes-sessions usage``.
    """

    max_files: int = 200
    max_file_bytes: int = 10 * 1024 * 1024
    max_messages: int = 1000
    max_content_chars: int = 200_000
    head_bytes: int = 64 * 1024
    row_tail_bytes: int = 64 * 1024
    row_full_scan_bytes: int = 256 * 1024
    count_scan_bytes: int = 4 * 1024 * 1024
    cache_entries: int = 4096
    line_scan_bytes: int = 64 * 1024 * 1024
    remote_max_files: int = 1000
    subagent_usage: bool = False

    @classmethod
    def from_context(cls, context: SourceContext | None, **overrides: Any) -> ClaudeCodeSettings:
        """Defaults, then the store's settings, then explicit ``overrides``; bad values ignored."""
        return read_source_settings(cls, SOURCE_NAME, context, overrides)
