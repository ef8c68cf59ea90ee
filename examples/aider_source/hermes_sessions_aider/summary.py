"""The listing parser: what each session of a history file shows in the sidebar, cached.

A history file grows for as long as a repository is used, so at most its last
``MAX_READ_BYTES`` are read (older sessions are then left out, and the listing says so).
Each session found is parsed once; the result is cached by path, size and modification time,
so a sidebar polled every few seconds re-reads only files Aider has appended to since.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hermes_sessions_core.regular_files import open_regular

from .history import SessionBlock, entries_of, split_sessions
from .settings import MAX_READ_BYTES
from .transcript import messages_of
from .usage import RecordedUsage, usage_of

__all__ = ["SessionSummary", "HistorySummary", "summarise", "cached_history", "forget_histories"]

_TITLE_CHARACTERS = 80
_CACHE_LIMIT = 4096
_MODEL = re.compile(r"^(?:Main model|Model): (\S+) with ", re.M)
_VERSION = re.compile(r"^Aider v(\S+)$", re.M)
#: Slash commands whose words are a prompt to the model (``/ask why…``); other commands
#: (``/add``, ``/run``…) are not what a session is about, so they never become its title.
_PROMPT_COMMANDS = ("/ask ", "/code ", "/architect ")


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What a sidebar row needs; ``start``/``end`` locate the session's text in the file."""

    block: SessionBlock
    started_at: float | None
    title: str | None
    message_count: int
    user_message_count: int
    model: str | None
    aider_version: str | None
    usage: RecordedUsage


@dataclass(frozen=True, slots=True)
class HistorySummary:
    sessions: tuple[SessionSummary, ...]
    #: Bytes at the start of the file that were not read (past ``MAX_READ_BYTES``).
    skipped_bytes: int
    #: Headers whose time is impossible (``2025-13-45``): those sessions are left out.
    bad_headers: int


def summarise(path: Path) -> HistorySummary:
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        skipped = max(0, size - MAX_READ_BYTES)
        handle.seek(skipped)
        data = handle.read(MAX_READ_BYTES)
    sessions: list[SessionSummary] = []
    bad_headers = 0
    for block in split_sessions(data, skipped):
        started_at = _local_epoch(block.started)
        if started_at is None:
            bad_headers += 1
            continue
        text = data[block.start - skipped:block.end - skipped].decode("utf-8", errors="replace")
        sessions.append(_summary(block, started_at, text))
    return HistorySummary(tuple(sessions), skipped, bad_headers)


def _summary(block: SessionBlock, started_at: float, text: str) -> SessionSummary:
    entries = entries_of(text)
    messages = messages_of(entries)
    notes = [entry.text for entry in entries if entry.kind == "note"]
    banner = notes[0] if entries and entries[0].kind == "note" else ""
    model = _MODEL.search(banner)
    version = _VERSION.search(banner)
    prompts = [entry.text for entry in entries if entry.kind == "prompt"]
    return SessionSummary(
        block=block,
        started_at=started_at,
        title=next((title for title in map(_title_of, prompts) if title), None),
        message_count=len(messages),
        user_message_count=len(prompts),
        model=model.group(1) if model else None,
        aider_version=version.group(1) if version else None,
        usage=usage_of(notes),
    )


def _title_of(prompt: str) -> str | None:
    for command in _PROMPT_COMMANDS:
        if prompt.startswith(command):
            prompt = prompt[len(command):]
            break
    first_line = prompt.strip().split("\n", 1)[0].strip()
    if not first_line or first_line.startswith("/"):
        return None
    return first_line[:_TITLE_CHARACTERS]


def _local_epoch(started: str) -> float | None:
    """Aider writes its local time without a zone: read it as this machine's local time."""
    try:
        return datetime.strptime(started, "%Y-%m-%d %H:%M:%S").timestamp()
    except (ValueError, OverflowError, OSError):
        return None


_cache: dict[Path, tuple[int, int, HistorySummary]] = {}
_lock = threading.Lock()


def cached_history(path: Path, status: os.stat_result) -> HistorySummary:
    """:func:`summarise`, reused while the file keeps the size and mtime of ``status``."""
    with _lock:
        known = _cache.get(path)
    if known is not None and known[:2] == (status.st_size, status.st_mtime_ns):
        return known[2]
    summary = summarise(path)
    with _lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[path] = (status.st_size, status.st_mtime_ns, summary)
    return summary


def forget_histories() -> None:
    with _lock:
        _cache.clear()
