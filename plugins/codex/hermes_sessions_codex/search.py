"""Full-text search of Codex rollouts through an incremental local index (S9.5 by analogy).

Rollouts are large files we may not change, so we keep our own
:class:`~hermes_sessions_core.file_search_index.FileTranscriptIndex` of them, one per machine
(``<state dir>/search/codex.sqlite``, ``codex@<machine>.sqlite``); it re-reads only rollouts
that changed, rebuilds itself when unusable and counts positions in the transcript as the host
shows it. This module says which files are rollouts and what of each is searched: sub-agent
threads are not (they are not rows). Its two hook functions are plain functions: the package
registers thin wrappers that import this module only when a search needs it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from hermes_sessions_core.file_search_index import (
    NOT_SEARCHED,
    FileTranscriptIndex,
    IndexedSource,
    IndexedTranscript,
)
from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.models import Problem, message_timestamp
from hermes_sessions_core.search import SearchQuery, SearchResults, index_progress
from hermes_sessions_core.search_files import search_index_path
from hermes_sessions_core.source_roots import search_by_machine

from .discovery import RolloutFile, discover
from .ids import session_id_for
from .machines import codex_folders
from .parse import parse_rollout
from .settings import ID_PREFIX, SOURCE_NAME, CodexSettings
from .summary import NotARollout

__all__ = ["hermes_sessions_search", "hermes_sessions_rebuild_search_index", "RolloutIndex"]

_INDEXED = IndexedSource(SOURCE_NAME, "Codex", "rollout", schema_version="1")


def index_path_for(context: SourceContext, machine: str | None) -> Path:
    """Where the core says this source's index lives, ``codex@<machine>.sqlite`` beside it
    for another machine's rollouts (their ids repeat)."""
    return search_index_path(context.locations, context.setting, SOURCE_NAME, machine)


def _indexes(context: SourceContext) -> Iterator[tuple[RolloutIndex, str | None]]:
    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    for group in groups:
        yield RolloutIndex(index_path_for(context, group.machine), group.folders,
                           settings), group.machine


def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # Codex threads belong to no Web UI project
    settings = CodexSettings.from_context(context)
    groups, _problems = codex_folders(context, settings, sync=False)
    progress = index_progress(context, SOURCE_NAME)
    return search_by_machine(groups, ID_PREFIX, lambda folders, machine: RolloutIndex(
        index_path_for(context, machine), folders, settings).search(query, progress))


def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    return sum(index.rebuild(progress) for index, _machine in _indexes(context))


class RolloutIndex(FileTranscriptIndex[RolloutFile]):
    """The index of every rollout under one machine's Codex homes."""

    def __init__(self, path: Path, homes: Iterable[Any], settings: CodexSettings) -> None:
        super().__init__(path, _INDEXED, partial(_discover, tuple(homes)),
                         partial(_read, settings=settings), settings.max_messages)


def _discover(homes: tuple[Any, ...]) -> tuple[list[RolloutFile], list[Problem]]:
    found = discover(homes)
    return found.files, found.problems


def _read(file: RolloutFile, settings: CodexSettings) -> IndexedTranscript:
    try:
        parsed = parse_rollout(file, settings)
    except NotARollout:
        return NOT_SEARCHED
    if parsed.summary.meta.is_subagent or not parsed.summary.title:
        return NOT_SEARCHED  # a sub-agent thread is not a row, so never a hit
    messages = parsed.messages
    last = message_timestamp(messages[-1]) if messages else None
    return IndexedTranscript(session_id_for(file.thread_id), parsed.summary.title, last, messages)
