"""Caps on what a row takes from records: a row is for a sidebar (issue 13)."""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_PATH_CHARS", "cut_text", "path_or_none"]

#: A longer ``cwd`` is no usable path: it is passed over, never cut (a cut path is a wrong one).
MAX_PATH_CHARS = 4096


def cut_text(value: Any, limit: int) -> str | None:
    """A non-blank string cut to ``limit`` characters; anything else is None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value[:limit]


def path_or_none(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= MAX_PATH_CHARS:
        return value
    return None
