"""Choosing a transcript's title (S4.4): user-set, AI, own summary, first prompt, slug, fallback.

Summaries are trusted only when their ``leafUuid`` is a record of the same file: Claude Code
copies the previous session's summaries into the next file, and those describe another
conversation (S8.23). A legacy file (see :mod:`.legacy`) has no ``uuid`` to judge by; its first
untyped ``summary`` or ``title`` line takes the summary's place, as in the original, but only
when the file has no ``uuid`` at all, so a real transcript's rule stays exactly S4.4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .markup import collapse_whitespace

__all__ = ["FALLBACK_TITLE", "TitleEvidence", "choose_title"]

FALLBACK_TITLE = "Claude Code Session"
MAX_TITLE_CHARS = 80


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = collapse_whitespace(value)
    return text[:MAX_TITLE_CHARS] if text else None


@dataclass
class TitleEvidence:
    """Title records met while reading, in file order."""

    custom_title: str | None = None
    ai_title: str | None = None
    summaries: list[tuple[str, str]] = field(default_factory=list)  # (leafUuid, text)
    first_prompt: str | None = None
    slug: str | None = None
    legacy_title: str | None = None  # first untyped summary/title line

    def add_record(self, record: dict[str, Any]) -> None:
        """Take what a title record offers; the last custom and AI titles win."""
        kind = record.get("type")
        if kind == "custom-title":
            self.custom_title = (
                _clean(record.get("customTitle") or record.get("title")) or self.custom_title
            )
        elif kind == "ai-title":
            self.ai_title = _clean(record.get("aiTitle") or record.get("title")) or self.ai_title
        elif kind == "summary":
            text = _clean(record.get("summary"))
            leaf = record.get("leafUuid")
            if text and isinstance(leaf, str):
                self.summaries.append((leaf, text))
        slug = record.get("slug")
        if isinstance(slug, str) and slug.strip():
            self.slug = slug.strip()

    def add_untyped(self, record: dict[str, Any]) -> None:
        """Keep the first ``summary`` or ``title`` of a record without ``type`` (legacy files)."""
        if self.legacy_title is None:
            self.legacy_title = _clean(record.get("summary")) or _clean(record.get("title"))


def choose_title(
    evidence: TitleEvidence, has_uuid: Callable[[str], bool], has_any_uuid: bool = True
) -> str:
    """The first available of S4.4's six choices; ``has_uuid`` tells whether a leaf is ours,
    ``has_any_uuid`` whether the file has uuids at all (if not, a legacy title counts)."""
    if evidence.custom_title:
        return evidence.custom_title
    if evidence.ai_title:
        return evidence.ai_title
    for leaf, text in reversed(evidence.summaries):
        if has_uuid(leaf):
            return text
    if evidence.legacy_title and not has_any_uuid:
        return evidence.legacy_title
    if evidence.first_prompt:
        return evidence.first_prompt[:MAX_TITLE_CHARS]
    cleaned_slug = _clean(evidence.slug)
    if cleaned_slug:
        return cleaned_slug
    return FALLBACK_TITLE
