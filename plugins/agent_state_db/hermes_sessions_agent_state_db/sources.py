"""The agent's raw ``source`` column as the sidebar's source fields (S3.12).

``session_source`` is the coarse kind the Web UI filters on; ``source_label`` is what a person
reads; ``raw_source`` keeps the lower-cased original so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from .essentials import DEFAULT_MESSAGING_SOURCES, SOURCE_NAME, messaging_sources_from
from .field_caps import LABEL_MAX_CHARS, capped

__all__ = [
    "DEFAULT_MESSAGING_SOURCES",
    "SOURCE_NAME",
    "SourceFields",
    "messaging_sources_from",
    "source_fields",
]

_KINDS = {"webui": "webui", "cli": "cli", "cron": "cron", "tool": "tool", "api_server": "api"}
_LABELS = {
    "api_server": "API", "cli": "CLI", "cron": "Cron", "discord": "Discord", "slack": "Slack",
    "telegram": "Telegram", "tool": "Tool", "webui": "WebUI", "weixin": "Weixin",
}


@dataclass(frozen=True)
class SourceFields:
    """The four row fields derived from one raw source value."""

    source_tag: str
    raw_source: str | None
    session_source: str
    source_label: str

    @property
    def is_messaging(self) -> bool:
        return self.session_source == "messaging"


def source_fields(
    raw: object, messaging: frozenset[str] = DEFAULT_MESSAGING_SOURCES
) -> SourceFields:
    """Map a raw source; an empty one is labelled ``Agent`` with a null ``raw_source`` (S3.3).

    At most :data:`~.field_caps.LABEL_MAX_CHARS` characters of it are used."""
    text = capped(raw, LABEL_MAX_CHARS).strip() if raw is not None else ""
    lower = text.lower()
    if not lower:
        return SourceFields("cli", None, "other", "Agent")
    if lower in messaging:
        kind = "messaging"
    else:
        kind = _KINDS.get(lower, "other")
    label = _LABELS.get(lower) or lower.replace("_", " ").title()
    return SourceFields(text, lower, kind, label)
