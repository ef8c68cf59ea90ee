"""This source's roots on every machine: the Codex home here, plus configured ones.

A root is a Codex home (``$CODEX_HOME``, ``~/.codex`` by default; ``settings["codex"]["home"]``
wins over the environment). It holds ``sessions/YYYY/MM/DD/rollout-*.jsonl`` and, for archived
threads, ``archived_sessions/``. Extra roots (other machines) are Codex homes too.

Light on purpose (path checks only, no dataclass): the hooks ask :func:`no_codex_here` before
importing the readers, and the core's root handling (:mod:`hermes_sessions_core.source_roots`,
which brings the remote mirror) is imported only when there is something to read.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hermes_sessions_core.absent_roots import empty_file_search, only_absent_local_roots

from .names import SOURCE_NAME

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext
    from hermes_sessions_core.models import Problem
    from hermes_sessions_core.search import SearchResults
    from hermes_sessions_core.source_roots import MachineFolders

    from .settings import CodexSettings

__all__ = ["ROOT_PATTERNS", "codex_home", "codex_folders", "no_codex_here", "empty_search"]

#: What a remote mirror copies from a Codex home (relative glob patterns).
ROOT_PATTERNS = (
    "sessions/*/*/*/rollout-*.jsonl",
    "archived_sessions/rollout-*.jsonl",
    "archived_sessions/*/*/*/rollout-*.jsonl",
)


def codex_home(context: SourceContext) -> str:
    """``settings["codex"]["home"]``, else ``$CODEX_HOME``, else ``~/.codex``."""
    configured = context.setting(SOURCE_NAME, "home", None)
    if isinstance(configured, (str, os.PathLike)) and os.fspath(configured):
        home = str(os.fspath(configured))
    else:
        home = str(context.locations.env.get("CODEX_HOME") or "~/.codex")
    return os.path.expanduser(home)


def codex_folders(
    context: SourceContext, settings: CodexSettings, *, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """Codex homes grouped by machine (a remote one through its mirror; ``sync`` for a
    listing, which brings the mirror up to date first)."""
    from hermes_sessions_core.source_roots import folders_by_machine

    return folders_by_machine(
        context, SOURCE_NAME, [codex_home(context)], patterns=ROOT_PATTERNS,
        max_files=settings.max_files, sync=sync,
    )


def no_codex_here(context: SourceContext) -> bool:
    """True when the only root is this machine's Codex home and it does not exist: a listing
    or search then has nothing to read and nothing to report (as :func:`codex_folders` and
    the readers would find), so it answers without importing them."""
    return only_absent_local_roots(context, SOURCE_NAME, [codex_home(context)])


def empty_search(context: SourceContext) -> SearchResults | None:
    """The answer of a search with no Codex home and no index (:mod:`.search` would create an
    empty index and find nothing in it), else None: the search must run."""
    if not no_codex_here(context):
        return None
    return empty_file_search(context, SOURCE_NAME)
