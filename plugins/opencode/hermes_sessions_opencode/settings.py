"""Names and per-store options of the OpenCode source, read from ``context.setting("opencode", …)``.

The limits bound what one listing, load or search reads, whatever the database or the legacy
JSON tree holds: how many sessions a listing summarises, how large a legacy file or a part may
be before it is cut, how long to wait on a database OpenCode is writing.
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

__all__ = ["SOURCE_NAME", "SOURCE_LABEL", "ID_PREFIX", "OpenCodeSettings"]


@dataclass(frozen=True)
class OpenCodeSettings:
    """Limits for one listing, load or search.

    ``max_sessions``: top-level sessions a listing summarises, most recently updated first.
    ``max_messages``: messages a transcript shows (the most recent, after a notice).
    ``max_content_chars``: characters of one message's text; longer text is cut.
    ``max_json_bytes``: a legacy JSON file or a database ``data`` value larger than this is
    read only as far as the bounded extracts go (its text cut), never decoded whole.
    ``max_title_chars``: characters of a row's title. ``busy_timeout_ms``: how long a read
    waits for OpenCode's writer. ``max_search_sessions``: sessions one search opens.
    """

    max_sessions: int = 500
    max_messages: int = 1000
    max_content_chars: int = 200_000
    max_json_bytes: int = 4 * 1024 * 1024
    max_title_chars: int = 200
    busy_timeout_ms: int = 2000
    max_search_sessions: int = 2000
    cache_entries: int = 4096

    @classmethod
    def from_context(cls, context: SourceContext | None, **overrides: Any) -> OpenCodeSettings:
        """Defaults, then the store's settings, then explicit ``overrides``; bad values ignored."""
        return read_source_settings(cls, SOURCE_NAME, context, overrides)
