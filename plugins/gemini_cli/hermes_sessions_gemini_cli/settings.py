"""Names and per-store options of the Gemini CLI source (``context.setting("gemini_cli", …)``).

The sizes decide how much of each chat file a listing reads: small files are parsed whole,
larger ones are summarised from a head and a tail window and made exact later, a bounded
number of bytes per listing (see :mod:`.listing`).
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

__all__ = ["SOURCE_NAME", "SOURCE_LABEL", "ID_PREFIX", "GeminiSettings"]


@dataclass(frozen=True)
class GeminiSettings:
    """Limits for one listing or transcript read.

    ``max_files``: a listing takes the most recently modified chat files, at most this many.
    ``row_full_scan_bytes``: files up to this size are parsed whole by a listing (exact rows);
    larger ones are summarised from their first ``head_bytes`` and last ``tail_bytes`` and the
    row says ``stats_estimated`` until a later listing parses them whole, spending at most
    ``exact_scan_bytes`` per listing (less what it read for windows). ``max_json_bytes``: a
    one-object ``.json`` chat larger than this is never parsed (it cannot be read in parts):
    its row stays estimated and ``truncated``, and its transcript is a notice saying so.
    ``max_jsonl_bytes``: a ``.jsonl`` chat larger than this is replayed from its head and its
    last ``max_jsonl_bytes`` only (``truncated``). ``max_line_bytes``: longer lines are skipped.
    ``subagent_usage``: parse each listed chat's sub-agent chats whole and add what they
    recorded to its ``usage`` entries; off for the sidebar, on for ``hermes-sessions usage``.
    """

    max_files: int = 500
    row_full_scan_bytes: int = 32 * 1024
    head_bytes: int = 16 * 1024
    tail_bytes: int = 16 * 1024
    exact_scan_bytes: int = 4 * 1024 * 1024
    max_json_bytes: int = 32 * 1024 * 1024
    max_jsonl_bytes: int = 64 * 1024 * 1024
    max_line_bytes: int = 32 * 1024 * 1024
    max_messages: int = 1000
    max_content_chars: int = 200_000
    cache_entries: int = 8192
    subagent_usage: bool = False

    @classmethod
    def from_context(cls, context: SourceContext | None, **overrides: Any) -> GeminiSettings:
        """Defaults, then the store's settings, then explicit ``overrides``; bad values ignored."""
        return read_source_settings(cls, SOURCE_NAME, context, overrides)
