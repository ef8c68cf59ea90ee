"""Opening one Gemini chat by id: find its file, replay it, build a Transcript or a Session.

Ids are looked up in the id → path map the listing keeps, then among files named for the
id's first eight characters (Gemini's own naming), then by reading every chat's header; the
same file a listing would show wins when two hold one ``sessionId``. Sessions built here are
``read_only`` and can never be saved; windowed and metadata-only loads are also partial.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

from hermes_sessions_core.models import Session, Transcript

from .cache import SourceCache, default_cache
from .conversation import Conversation
from .discovery import ChatFile, Discovery, chat_file_at, discover, resolve_roots
from .ids import native_id_of, owns_session_id, session_id_for
from .listing import preferred, row_for, summary_for
from .reading import parse_chat
from .settings import SOURCE_NAME, GeminiSettings
from .summary import summarise
from .transcripts import build_messages, window_messages

__all__ = ["find_chat", "read_transcript", "load_session", "transcript_messages"]

_HOOK = "hermes_sessions_load_session"
_ROW_ONLY = ("last_message_at", "user_message_count", "has_pending_user_message", "is_streaming")


def _under(path: str, roots: list[str]) -> bool:
    return any(path.startswith(root.rstrip("/") + "/") for root in roots)


def find_chat(
    session_id: str, roots: Iterable[str | os.PathLike[str]], settings: GeminiSettings,
    cache: SourceCache,
) -> tuple[Discovery, ChatFile] | None:
    """The scan and the main chat file behind ``session_id``, or None."""
    if not owns_session_id(session_id):
        return None
    resolved = resolve_roots(roots, [])
    native = native_id_of(session_id)
    found = discover(resolved)
    by_path = {chat.path: chat for chat in found.chats}
    known = cache.path_for(native) if native is not None else None
    candidates: list[ChatFile] = []
    if known is not None and _under(known, resolved):
        chat = by_path.get(known) or chat_file_at(known)
        if chat is not None:
            candidates.append(chat)
    if native is not None:
        short = native[:8]
        candidates.extend(c for c in found.chats if c.path.endswith(
            (f"-{short}.json", f"-{short}.jsonl")))
    matches = []
    for chat in dict.fromkeys(candidates):
        summary, _problem, _used = summary_for(chat, settings, cache, _HOOK)
        if summary is not None and session_id_for(summary.native_id) == session_id:
            matches.append((chat, summary))
    if not matches:
        for chat in found.chats:
            summary, _problem, _used = summary_for(chat, settings, cache, _HOOK)
            if summary is not None and session_id_for(summary.native_id) == session_id:
                matches.append((chat, summary))
    chosen = preferred(matches)
    if not chosen:
        return None
    chat, _summary = next(iter(chosen.values()))
    return found, chat


def _open(session_id: str, roots: Any, settings: GeminiSettings, cache: SourceCache
          ) -> tuple[Discovery, ChatFile, Conversation, bool] | None:
    located = find_chat(session_id, roots, settings, cache)
    if located is None:
        return None
    found, chat = located
    try:
        parsed = parse_chat(chat, settings)
    except OSError:
        return None  # vanished or replaced by something that is not a file
    return found, chat, parsed.conversation, parsed.truncated


def transcript_messages(conversation: Conversation, chat: ChatFile, truncated: bool,
                        settings: GeminiSettings) -> list[dict[str, Any]]:
    messages = build_messages(conversation, settings.max_content_chars)
    if truncated and not chat.is_jsonl and not messages:
        return [{"role": "system", "kind": "notice", "content": (
            f"This Gemini CLI chat is {chat.size} bytes, more than the {settings.max_json_bytes} "
            "a one-object .json chat is read up to; its messages were not read.")}]
    return messages


def read_transcript(
    session_id: str, roots: Iterable[str | os.PathLike[str]], *,
    settings: GeminiSettings | None = None, cache: SourceCache | None = None,
    limit: int | None = None,
) -> Transcript | None:
    """The chat's transcript, the most recent ``limit`` messages; None if not found."""
    settings = settings or GeminiSettings()
    cache = cache if cache is not None else default_cache()
    opened = _open(session_id, roots, settings, cache)
    if opened is None:
        return None
    _found, chat, conversation, truncated = opened
    messages = transcript_messages(conversation, chat, truncated, settings)
    shown = window_messages(messages, limit if limit is not None else settings.max_messages)
    return Transcript(session_id=session_id, source=SOURCE_NAME, messages=tuple(shown),
                      total_count=len(messages), truncated=truncated)


def load_session(
    session_id: str, roots: Iterable[str | os.PathLike[str]], *, metadata_only: bool = False,
    default_workspace: str | None = None, settings: GeminiSettings | None = None,
    cache: SourceCache | None = None,
) -> Session | None:
    """A read-only session for ``session_id``, or None if no such chat exists."""
    settings = settings or GeminiSettings()
    cache = cache if cache is not None else default_cache()
    if metadata_only:
        located = find_chat(session_id, roots, settings, cache)
        if located is None:
            return None
        found, chat = located
        summary, _problem, _used = summary_for(chat, settings, cache, _HOOK, exact=True)
        if summary is None:
            return None
        row = row_for(found, chat, summary, cache).to_dict()
        session = _session(row, [], default_workspace)
        session.mark_partial("metadata_only", message_count=summary.message_count,
                             user_message_count=summary.user_message_count,
                             last_message_at=summary.last_at)
        return session
    opened = _open(session_id, roots, settings, cache)
    if opened is None:
        return None
    found, chat, conversation, truncated = opened
    summary = summarise(conversation, chat.path, chat.mtime_ns, truncated=truncated,
                        max_chars=settings.max_content_chars)
    if summary is None:
        return None
    if not truncated:
        cache.summaries.put(chat.path, chat.key, summary)
    messages = transcript_messages(conversation, chat, truncated, settings)
    shown = window_messages(messages, settings.max_messages)
    session = _session(row_for(found, chat, summary, cache).to_dict(), shown, default_workspace)
    if shown is not messages or truncated:
        session.mark_partial("tail_window", message_count=len(messages),
                             user_message_count=summary.user_message_count,
                             last_message_at=summary.last_at)
    return session


def _session(row: dict[str, Any], messages: list[dict[str, Any]],
             default_workspace: str | None) -> Session:
    record = {key: value for key, value in row.items() if key not in _ROW_ONLY}
    record["session_id"] = row["session_id"]
    record["messages"] = messages
    return Session.from_record(record, default_workspace=default_workspace)
