"""The cheap listing parser: one pass over a rollout's line heads, few full parses.

Only the ``session_meta`` line, prompts, ``turn_context`` and the last ``token_count`` are
parsed; every other line is classified from its first bytes. Summaries are cached by path, size
and modification time, so a sidebar polled every few seconds re-reads only changed files.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sessions_core.regular_files import open_regular
from hermes_sessions_core.times import to_epoch

from .records import head_of, message_kind, parse_line
from .text import content_text, is_injected

__all__ = ["RolloutSummary", "NotARollout", "summarise", "cached_summary", "forget_summaries"]

_CACHE_LIMIT = 4096


class NotARollout(ValueError):
    """The file does not start with a Codex ``session_meta`` record."""


@dataclass(frozen=True, slots=True)
class RolloutSummary:
    """What a sidebar row needs, and nothing from the transcript itself."""

    thread_id: str
    created_at: float | None
    updated_at: float | None
    last_message_at: float | None
    cwd: str | None
    model: str | None
    model_provider: str | None
    cli_version: str | None
    originator: str | None
    git_branch: str | None
    title: str | None
    message_count: int
    user_message_count: int
    input_tokens: int
    output_tokens: int
    unreadable_lines: int


def summarise(path: Path) -> RolloutSummary:
    """Read one rollout's summary; :class:`NotARollout` if its first line is not session meta."""
    with open_regular(path) as handle:  # never blocks on a FIFO
        first = parse_line(handle.readline())
        if (
            first is None or first.get("type") != "session_meta"
            or not isinstance(first.get("payload"), dict)
        ):
            raise NotARollout(f"{path.name} does not start with a Codex session_meta record")
        meta: dict[str, Any] = first["payload"]
        state = _Tally()
        for line in handle:
            state.add(line)
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    created = to_epoch(meta.get("timestamp")) or to_epoch(first.get("timestamp"))
    user_count = state.prompts if state.prompts else state.typed_items
    return RolloutSummary(
        thread_id=str(meta.get("id") or ""),
        created_at=created,
        updated_at=state.last_time or created,
        last_message_at=state.last_prompt_or_reply_time(),
        cwd=meta.get("cwd") if isinstance(meta.get("cwd"), str) else None,
        model=state.model,
        model_provider=(
            meta.get("model_provider") if isinstance(meta.get("model_provider"), str) else None
        ),
        cli_version=meta.get("cli_version") if isinstance(meta.get("cli_version"), str) else None,
        originator=meta.get("originator") if isinstance(meta.get("originator"), str) else None,
        git_branch=git.get("branch") if isinstance(git.get("branch"), str) else None,
        title=state.first_prompt if state.prompts else state.first_item,
        message_count=state.other_messages + user_count,
        user_message_count=user_count,
        input_tokens=state.input_tokens,
        output_tokens=state.output_tokens,
        unreadable_lines=state.unreadable,
    )


class _Tally:
    """Running counts over the lines after ``session_meta``."""

    def __init__(self) -> None:
        self.prompts = 0
        self.typed_items = 0
        self.other_messages = 0
        self.first_prompt: str | None = None
        self.first_item: str | None = None
        self.last_time: float | None = None
        self.last_prompt_time: float | None = None
        self.last_item_time: float | None = None
        self.last_reply_time: float | None = None
        self.model: str | None = None
        self.input_tokens = 0
        self.output_tokens = 0
        self.unreadable = 0

    def add(self, line: bytes) -> None:
        if not line.strip():
            return
        head = head_of(line)
        if head is None:
            self.unreadable += 1
            return
        stamp = to_epoch(head.timestamp)
        if stamp is not None:
            self.last_time = stamp
        kind = message_kind(head)
        if kind == "user":
            self._prompt(line, stamp)
        elif kind == "user_item":
            self._user_item(line, stamp)
        elif kind in ("assistant", "tool_call"):
            self.other_messages += 1
            self.last_reply_time = stamp or self.last_reply_time
        elif kind == "tool_output":
            self.other_messages += 1
        elif head.type == "turn_context":
            payload = (parse_line(line) or {}).get("payload")
            if isinstance(payload, dict) and isinstance(payload.get("model"), str):
                self.model = payload["model"]
        elif head.subtype == "token_count":
            self._tokens(line)

    def _prompt(self, line: bytes, stamp: float | None) -> None:
        self.prompts += 1
        self.last_prompt_time = stamp or self.last_prompt_time
        if self.first_prompt is None:
            payload = (parse_line(line) or {}).get("payload") or {}
            text = str(payload.get("message") or "").strip()
            self.first_prompt = text or None

    def _user_item(self, line: bytes, stamp: float | None) -> None:
        payload = (parse_line(line) or {}).get("payload") or {}
        text = content_text(payload.get("content")).strip()
        if not text or is_injected(text):
            return
        self.typed_items += 1
        self.last_item_time = stamp or self.last_item_time
        if self.first_item is None:
            self.first_item = text

    def _tokens(self, line: bytes) -> None:
        payload = (parse_line(line) or {}).get("payload") or {}
        info = payload.get("info")
        usage = info.get("total_token_usage") if isinstance(info, dict) else None
        if isinstance(usage, dict):
            self.input_tokens = int(usage.get("input_tokens") or 0)
            self.output_tokens = int(usage.get("output_tokens") or 0)

    def last_prompt_or_reply_time(self) -> float | None:
        user_time = self.last_prompt_time if self.prompts else self.last_item_time
        times = [t for t in (user_time, self.last_reply_time) if t is not None]
        return max(times) if times else None


_lock = threading.Lock()
_cache: dict[Path, tuple[int, int, RolloutSummary]] = {}


def cached_summary(path: Path) -> RolloutSummary:
    """:func:`summarise`, reused while the file's size and modification time are unchanged."""
    status = path.stat()
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


def forget_summaries() -> None:
    with _lock:
        _cache.clear()
