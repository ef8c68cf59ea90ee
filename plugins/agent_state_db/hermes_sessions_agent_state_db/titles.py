"""Row titles: cleaning, the default-title test and the fallback chain (S3.3, S3.13, S3.15)."""

from __future__ import annotations

import unicodedata

from .field_caps import LABEL_MAX_CHARS, TITLE_MAX_CHARS, TITLE_READ_CHARS, capped

__all__ = ["clean_title", "fallback_title", "is_default_title"]

# Bidi embeddings, overrides and isolates can reorder the whole sidebar line around a title.
_BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)


def clean_title(value: object) -> str | None:
    """Title text without control or bidi-override characters, at most
    :data:`~.field_caps.TITLE_MAX_CHARS` long; empty counts as none."""
    if value is None:
        return None
    text = capped(value, TITLE_READ_CHARS)
    kept = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in text
        if ch in "\t\n\r" or (ch not in _BIDI_CONTROLS and unicodedata.category(ch) != "Cc")
    )
    kept = " ".join(kept.split())[:TITLE_MAX_CHARS].rstrip()
    return kept or None


def is_default_title(title: str | None, raw_source: str | None) -> bool:
    """Empty, ``untitled``, ``cli``, ``cli session`` or ``<source> session``, any case."""
    text = (title or "").strip().lower()
    if text in {"", "untitled", "cli", "cli session"}:
        return True
    return bool(raw_source) and text == f"{raw_source} session"


def fallback_title(source_tag: str) -> str:
    """The raw source title-cased plus `` Session`` (``Cli Session``, ``Cron Session``)."""
    return f"{source_tag[:LABEL_MAX_CHARS].title()} Session"
