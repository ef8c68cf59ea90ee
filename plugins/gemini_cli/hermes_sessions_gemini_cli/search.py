"""Full-text search of Gemini CLI chats through an incremental local index (S9.5).

Chats are files we may not change, so we keep our own
:class:`~hermes_sessions_core.file_search_index.FileTranscriptIndex` of them, one per machine,
where :func:`~hermes_sessions_core.search_files.search_index_path` says (``gemini_cli.sqlite``,
``gemini_cli@<machine>.sqlite`` beside it for another machine); it re-reads only chats that
changed, rebuilds itself when unusable and counts positions in the transcript as the host shows
it. This module says which files are chats and what of each is searched: sub-agent chats are
not, and where two files hold one ``sessionId``, only the one the listing shows is searched.
Its two hook functions are plain functions: the package registers thin wrappers that import
this module only when a search needs it.
"""

from __future__ import annotations

from dataclasses import replace
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
from hermes_sessions_core.source_roots import search_by_machine

from .discovery import ChatFile, discover
from .ids import session_id_for
from .locations import machine_folders
from .reading import parse_chat
from .settings import ID_PREFIX, SOURCE_NAME, GeminiSettings
from .summary import summarise
from .transcripts import build_messages

__all__ = ["hermes_sessions_search", "hermes_sessions_rebuild_search_index", "ChatIndex"]

_INDEXED = IndexedSource(
    SOURCE_NAME, "Gemini CLI", "chat", schema_version="1", one_file_per_session=True,
)


def _index_path(context: SourceContext, machine: str | None) -> Path:
    """This machine's index, or ``gemini_cli@<machine>.sqlite`` beside it for another's
    (sessionIds may repeat across machines, so each machine's chats are indexed apart)."""
    return search_index_path(context.locations, context.setting, SOURCE_NAME, machine)


def _groups(context: SourceContext) -> Any:
    return machine_folders(context, GeminiSettings.from_context(context), sync=False)


def hermes_sessions_search(context: SourceContext, query: SearchQuery) -> SearchResults | None:
    if query.project_id is not None:
        return None  # Gemini chats belong to no Web UI project
    groups, problems = _groups(context)
    settings = GeminiSettings.from_context(context)
    progress = index_progress(context, SOURCE_NAME)

    def search(folders: list[str], machine: str | None) -> SearchResults:
        return ChatIndex(_index_path(context, machine), folders, settings).search(query, progress)

    results = search_by_machine(groups, ID_PREFIX, search)
    return replace(results, problems=(*problems, *results.problems), sources=(SOURCE_NAME,))


def hermes_sessions_rebuild_search_index(
    context: SourceContext, progress: Callable[[int, int], None]
) -> int:
    groups, _problems = _groups(context)
    settings = GeminiSettings.from_context(context)
    return sum(ChatIndex(_index_path(context, group.machine), group.folders, settings)
               .rebuild(progress) for group in groups)


class ChatIndex(FileTranscriptIndex[ChatFile]):
    """The index of every chat under some Gemini CLI roots."""

    def __init__(self, path: Path, roots: Iterable[Any], settings: GeminiSettings) -> None:
        super().__init__(path, _INDEXED, partial(_discover, tuple(roots)),
                         partial(_read, settings=settings), settings.max_messages)


def _discover(roots: tuple[Any, ...]) -> tuple[list[ChatFile], list[Problem]]:
    found = discover(roots, subagents=False)
    return found.chats, found.problems


def _read(chat: ChatFile, settings: GeminiSettings) -> IndexedTranscript:
    parsed = parse_chat(chat, settings)
    summary = summarise(parsed.conversation, chat.path, chat.mtime_ns,
                        max_chars=settings.max_content_chars)
    if summary is None or summary.kind == "subagent":
        return NOT_SEARCHED
    return IndexedTranscript(
        session_id_for(summary.native_id), summary.title, summary.last_at,
        build_messages(parsed.conversation, settings.max_content_chars),
        # the listing shows the newest of the files holding one sessionId, a .jsonl on a tie
        rank=(summary.last_at or 0.0) * 4 + chat.is_jsonl * 2,
    )
