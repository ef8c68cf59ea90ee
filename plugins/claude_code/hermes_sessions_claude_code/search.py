"""Full-text search of Claude Code transcripts through an incremental local index (S9.5).

Transcripts are large JSONL files we may not change, so we keep our own
:class:`~hermes_sessions_core.file_search_index.FileTranscriptIndex` of them at
``<state dir>/search/claude_code.sqlite`` (``claude_code@<machine>.sqlite`` beside it for
another machine); it re-reads only transcripts that changed, rebuilds itself when unusable and
counts positions in the transcript as the host shows it. This module says which files are
transcripts and what of each is searched. Its two hook functions are plain functions: the
package registers thin wrappers that import this module only when a search needs it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

from hermes_sessions_core.file_search_index import (
    NOT_SEARCHED,
    FileTranscriptIndex,
    IndexedSource,
    IndexedTranscript,
)
from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.models import Problem
from hermes_sessions_core.search import SearchQuery, SearchResults, index_progress
from hermes_sessions_core.search_files import search_index_path
from hermes_sessions_core.source_roots import (
    MachineFolders,
    folders_by_machine,
    search_by_machine,
)

from .discovery import TranscriptFile, discover
from .ids import id_for_resolved
from .machines import MIRRORED_PATTERNS
from .parse import parse_transcript
from .settings import ID_PREFIX, SOURCE_NAME, ClaudeCodeSettings

__all__ = [
    "hermes_sessions_search",
    "hermes_sessions_rebuild_search_index",
    "TranscriptIndex",
    "index_path_for",
]

_INDEXED = IndexedSource(SOURCE_NAME, "Claude Code", "transcript", schema_version="1")


def index_path_for(context: SourceContext, machine: str | None = None) -> Path:
    """This machine's index, or ``claude_code@<machine>.sqlite`` beside it for another's
    (ids repeat across machines, so each machine's transcripts are indexed apart)."""
    return search_index_path(context.locations, context.setting, SOURCE_NAME, machine)


def _machines(context: SourceContext) -> list[MachineFolders]:
    """Search reads the mirrors as the last listing left them (no round trip)."""
    settings = ClaudeCodeSettings.from_context(context)
    groups, _ = folders_by_machine(
        context, SOURCE_NAME, context.locations.claude_projects_roots(),
        patterns=MIRRORED_PATTERNS, max_files=settings.remote_max_files, sync=False,
    )
    return groups


def _index(context: SourceContext, folders: list[str], machine: str | None) -> TranscriptIndex:
    return TranscriptIndex(
        index_path_for(context, machine), folders, ClaudeCodeSettings.from_context(context),
    )


def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # Claude Code sessions belong to no Web UI project
    progress = index_progress(context, SOURCE_NAME)
    return search_by_machine(
        _machines(context), ID_PREFIX,
        lambda folders, machine: _index(context, folders, machine).search(query, progress),
    )


def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    return sum(
        _index(context, group.folders, group.machine).rebuild(progress)
        for group in _machines(context)
    )


class TranscriptIndex(FileTranscriptIndex[TranscriptFile]):
    """The index of every transcript under some Claude Code roots."""

    def __init__(self, path: Path, roots: Iterable[Any], settings: ClaudeCodeSettings) -> None:
        super().__init__(path, _INDEXED, partial(_discover, tuple(roots)),
                         partial(_read, settings=settings), settings.max_messages)


def _discover(roots: tuple[Any, ...]) -> tuple[list[TranscriptFile], list[Problem]]:
    found = discover(roots)
    return found.sessions, found.problems


def _read(file: TranscriptFile, settings: ClaudeCodeSettings) -> IndexedTranscript:
    parsed = parse_transcript(file, settings)
    if not parsed.has_conversation:
        return NOT_SEARCHED
    return IndexedTranscript(
        id_for_resolved(file.path), parsed.summary.title or "", parsed.summary.last_at,
        parsed.messages,
    )
