"""This source's roots on every machine: the Codex home here, plus configured ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hermes_sessions_core.source_roots import MachineFolders, folders_by_machine

from .settings import ROOT_PATTERNS, SOURCE_NAME, CodexSettings, codex_home

if TYPE_CHECKING:
    from hermes_sessions_core.hookspecs import SourceContext
    from hermes_sessions_core.models import Problem

__all__ = ["codex_folders"]


def codex_folders(
    context: SourceContext, settings: CodexSettings, *, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """Codex homes grouped by machine (a remote one through its mirror; ``sync`` for a
    listing, which brings the mirror up to date first)."""
    return folders_by_machine(
        context, SOURCE_NAME, [codex_home(context)], patterns=ROOT_PATTERNS,
        max_files=settings.max_files, sync=sync,
    )
