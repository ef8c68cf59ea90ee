"""Session ids of Claude Code transcripts (S4.3): stable, derived from the file's resolved path."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hermes_sessions_core.source_roots import split_scoped_id

from .settings import ID_PREFIX

__all__ = ["claude_code_session_id", "owns_session_id"]


def claude_code_session_id(path: str | os.PathLike[str]) -> str:
    """``claude_code_`` plus the first 24 hex digits of SHA-256 of the resolved path.

    Same recipe as the original, so ids the Web UI stored (renames, pins) still match.
    """
    resolved = str(Path(os.path.expanduser(os.fspath(path))).resolve())
    return ID_PREFIX + hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:24]


def id_for_resolved(resolved_path: str) -> str:
    """The id for a path that is already resolved (discovery never follows symlinks)."""
    return ID_PREFIX + hashlib.sha256(resolved_path.encode("utf-8")).hexdigest()[:24]


def owns_session_id(session_id: object) -> bool:
    """True for ids of this source's shape, on this machine or scoped to another
    (``claude_code_<machine>__<digest>``, the digest of the mirror copy's path); anything else
    is "not found" (S4.20)."""
    if not isinstance(session_id, str):
        return False
    split = split_scoped_id(ID_PREFIX, session_id)
    if split is None:
        return False
    digest = split[1]
    return len(digest) == 24 and all(c in "0123456789abcdef" for c in digest)
