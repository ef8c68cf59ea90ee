"""Where Claude Code transcripts are read on every machine: this machine's projects roots
(:meth:`~hermes_sessions_core.locations.Locations.claude_projects_roots`) plus configured ones.

A remote root needs every transcript copied, subagents included. The session files sit one
level deep (``<project>/<id>.jsonl``) and the 2.1.x subagents two below
(``<project>/<id>/subagents/agent-*.jsonl``); ``*`` crosses folders in these patterns, so one
covers both.

Light on purpose (path checks only, no dataclass): the hooks ask :func:`no_claude_code_here`
before importing the readers, and the core's root handling
(:mod:`hermes_sessions_core.source_roots`, which brings the remote mirror) is imported only
when there is something to read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable

from hermes_sessions_core.absent_roots import empty_file_search, only_absent_local_roots

from .names import SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext
    from hermes_sessions_core.models import Problem
    from hermes_sessions_core.search import SearchResults
    from hermes_sessions_core.source_roots import MachineFolders

    from .settings import ClaudeCodeSettings

__all__ = ["MIRRORED_PATTERNS", "claude_code_folders", "no_claude_code_here", "empty_search"]

MIRRORED_PATTERNS = ("*.jsonl",)


def claude_code_folders(
    context: SourceContext, roots: Iterable[str | os.PathLike[str]],
    settings: ClaudeCodeSettings, *, sync: bool,
) -> tuple[list[MachineFolders], list[Problem]]:
    """This machine's projects ``roots`` and each configured remote one (as a mirror)."""
    from hermes_sessions_core.source_roots import folders_by_machine

    return folders_by_machine(
        context, SOURCE_NAME, roots, patterns=MIRRORED_PATTERNS,
        max_files=settings.remote_max_files, sync=sync,
    )


def no_claude_code_here(context: SourceContext, roots: Iterable[str | os.PathLike[str]]) -> bool:
    """True when this machine's projects ``roots`` are the only ones and none exists: a
    listing or search then has nothing to read and nothing to report (as
    :func:`claude_code_folders` and the readers would find), so it answers without them."""
    return only_absent_local_roots(context, SOURCE_NAME, roots)


def empty_search(context: SourceContext) -> SearchResults | None:
    """The answer of a search with no projects root and no index (:mod:`.search` would create
    an empty index and find nothing in it), else None: the search must run."""
    if not no_claude_code_here(context, context.locations.claude_projects_roots()):
        return None
    return empty_file_search(context, SOURCE_NAME)
