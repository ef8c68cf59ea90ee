"""A large rollout's row from its head and tail windows, by searching bytes, not lines.

A listing must cost about a stat and a 64 KiB read per file, so nothing here walks lines in
Python: the thread comes from the first line's first and last bytes (never decoding a 20 KB
instruction block), the first prompt from the first ``user_message`` event found in the head
(searched on up to ``prompt_scan_bytes``), the model from the last ``turn_context``, the tokens
from the last ``token_count`` (cumulative, so the tail is enough; one window further back when
the last turn is long), the last activity from the last line. Only those few lines are
decoded. Counts are estimated from how many prompts and tool outputs the tail holds, scaled to
the file's size, and the row says so; a later listing replays the file for exact figures
(:mod:`.counts`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from hermes_sessions_core.jsonl_windows import line_end_after, nonblank_lines
from hermes_sessions_core.regular_files import open_regular, open_regular_fd
from hermes_sessions_core.usage import UsageTally

from .discovery import RolloutFile
from .meta import ThreadMeta, meta_from_prefix
from .parse import feed_lines
from .records import decode, epoch_of, string_prefix
from .replay import Replay
from .settings import CodexSettings
from .summary import DEFAULT_TITLE, NotARollout, RolloutSummary
from .text import is_injected, title_from
from .tokens import TokenTracker, usage_values

__all__ = ["summarise_windows"]

_PROMPT = b'"payload":{"type":"user_message"'
_CONTEXT = b'"type":"turn_context"'
_TOKENS = b'"payload":{"type":"token_count"'
_OUTPUT = b'_call_output","call_id"'
_STAMP = re.compile(rb'\{"timestamp":"([^"\\]{1,64})"')
_MODEL = re.compile(rb'"model":"(?:[^"\\]|\\.){1,512}"')
_META_BYTES = 8192
_MAX_TRIES = 8


def _line_at(data: bytes, at: int) -> tuple[bytes, bool]:
    """The line holding offset ``at`` and whether it is complete in ``data``."""
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    return (data[start:end], True) if end >= 0 else (data[start:], False)


def _payload(line: bytes) -> dict[str, Any] | None:
    record = decode(line)
    payload = record.get("payload") if record is not None else None
    return payload if isinstance(payload, dict) else None


def _first_prompt(data: bytes, at_end: bool) -> tuple[bool, str | None]:
    """(a prompt event was found, its title) in ``data``."""
    position = 0
    for _ in range(_MAX_TRIES):
        at = data.find(_PROMPT, position)
        if at < 0:
            return False, None
        line, complete = _line_at(data, at)
        position = at + len(_PROMPT)
        if complete or at_end:
            payload = _payload(line)
            if payload is None:
                continue
            text = payload.get("message")
            if payload.get("kind") not in (None, "plain") or not isinstance(text, str):
                continue
            if is_injected(text):
                continue
            return True, title_from(text)
        text = string_prefix(line, b"message")  # a prompt too long for the window
        if text is not None and not is_injected(text):
            return True, title_from(text)
        return True, None
    return False, None


def _last_payload(data: bytes, marker: bytes) -> dict[str, Any] | None:
    """The payload of the last complete line holding ``marker`` (a few tries back)."""
    end = len(data)
    for _ in range(_MAX_TRIES):
        at = data.rfind(marker, 0, end)
        if at < 0:
            return None
        line, complete = _line_at(data, at)
        end = at
        if complete:
            payload = _payload(line)
            if payload is not None:
                return payload
    return None


def _meta(path: str, head: bytes, size: int, settings: CodexSettings) -> tuple[ThreadMeta, int]:
    if not head.startswith(b'{"timestamp":') or b'"type":"session_meta"' not in head[:256]:
        from .parse import read_first_line  # other key orders: the decoding reader

        with open_regular(path) as handle:
            return read_first_line(handle, size, head, settings.max_file_bytes)
    newline = head.find(b"\n")
    if newline >= 0:
        end = newline + 1
        suffix = head[max(0, newline - _META_BYTES):newline]
    else:  # a first line longer than the head: its end is searched for, never held
        with open_regular(path) as handle:
            end = line_end_after(handle, len(head), min(size, settings.max_file_bytes))
            handle.seek(max(0, end - _META_BYTES))
            suffix = handle.read(min(_META_BYTES, end))
    meta = meta_from_prefix(head[:_META_BYTES], suffix)
    if meta.thread_id is None and meta.started_at is None:
        raise NotARollout("the first line is not a readable Codex session_meta record")
    return meta, end


def _model_in(line: bytes) -> str | None:
    """The model a ``turn_context`` line names, read without decoding the line (its
    sandbox policy and instructions are most of it); a line in another shape is decoded."""
    found = _MODEL.search(line)
    if found is not None:
        text = string_prefix(found.group(0), b"model", 256)
    else:
        payload = _payload(line)
        value = payload.get("model") if payload is not None else None
        text = value if isinstance(value, str) else None
    return text[:256] if text and text.strip() else None


def _last_model(data: bytes) -> str | None:
    at = data.rfind(_CONTEXT)
    if at < 0:
        return None
    line, complete = _line_at(data, at)
    return _model_in(line) if complete else None


def _first_model(data: bytes) -> str | None:
    at = data.find(_CONTEXT)
    if at < 0:
        return None
    line, complete = _line_at(data, at)
    return _model_in(line) if complete else None


def _estimate(window: bytes, body: int) -> tuple[int, int]:
    """(messages, prompts) estimated from one window's density: a call and its output are two
    messages, a prompt and its answer two; scaled to the whole file."""
    outputs = window.count(_OUTPUT)
    prompts = window.count(_PROMPT)
    scale = max(1.0, body / max(1, len(window)))
    return max(1, round((2 * outputs + 2 * prompts) * scale)), prompts


def summarise_windows(file: RolloutFile, settings: CodexSettings) -> RolloutSummary:
    """A row's facts from the head and tail windows; counts estimated. May raise OSError or
    NotARollout."""
    size = file.size
    fd = open_regular_fd(file.path)  # never blocks on a FIFO; read with pread, no buffer
    try:
        head = os.pread(fd, min(size, settings.head_bytes), 0)
        meta, start = _meta(file.path, head, size, settings)
        read = max(start, len(head))
        body = head[start:] if start < len(head) else b""
        found, title = _first_prompt(body, read >= size)
        scanned = body
        if not found and read < size:
            more = os.pread(fd, min(size, read + settings.prompt_scan_bytes) - read, read)
            scanned = body + more
            found, title = _first_prompt(scanned, read + len(more) >= size)
            read += len(more)
        if not found:  # rollouts from before prompt events: the slow, line by line way
            replay = Replay(keep_outputs=False)
            feed_lines(replay, ((0, line) for line in nonblank_lines(scanned)))
            first = replay.counts()[2]
            title = title_from(first) if isinstance(first, str) else None
        tail_start = max(read, size - settings.tail_bytes)
        tail = os.pread(fd, size - tail_start, tail_start)
        if tail_start > read:  # from the first full line
            newline = tail.find(b"\n")
            tail = tail[newline + 1:] if newline >= 0 else b""
        earlier = b""
        begin = tail_start
        # A long last turn: look further back, a window at a time, up to prompt_scan_bytes
        # (only when the head shows this writer records tokens at all; Desktop does not).
        while _TOKENS in scanned and _TOKENS not in tail and _TOKENS not in earlier and (
                begin > read) and (
                tail_start - begin < settings.prompt_scan_bytes):
            end = begin
            begin = max(read, begin - settings.head_bytes)
            earlier = os.pread(fd, end - begin, begin) + earlier  # lines never split
        if earlier and begin > read:
            earlier = earlier[earlier.find(b"\n") + 1:]
    finally:
        os.close(fd)
    model = _last_model(tail) or _last_model(earlier) or _first_model(scanned)
    tokens = TokenTracker()
    token_payload = _last_payload(tail, _TOKENS) or _last_payload(earlier, _TOKENS)
    end = len(tail)
    while end and tail[end - 1] in b"\r\n ":
        end -= 1
    stamp = _STAMP.match(tail, tail.rfind(b"\n", 0, end) + 1)
    last_at = epoch_of(stamp.group(1).decode("ascii", "replace")) if stamp else None
    info = token_payload.get("info") if token_payload is not None else None
    if isinstance(info, dict):
        tokens.total = usage_values(info.get("total_token_usage"))  # cumulative: no tally
    totals = tokens.totals()
    usage = UsageTally()
    usage.add("estimate", last_at, model, input_tokens=totals["input_tokens"],
              output_tokens=totals["output_tokens"],
              cache_read_tokens=totals["cache_read_input_tokens"],
              reasoning_tokens=totals["reasoning_tokens"])
    messages, prompts = _estimate(tail if len(tail) >= 4096 else scanned, size - start)
    prompts = max(prompts, 1 if found else 0)
    first_at = epoch_of(meta.started_at)
    if first_at is None:
        first_at = last_at if last_at is not None else file.mtime_ns / 1e9
    last_at = max(last_at if last_at is not None else first_at, first_at)
    return RolloutSummary(
        path=file.path, thread_id=file.thread_id, archived=file.archived,
        mtime_ns=file.mtime_ns, size=size, meta=meta, first_at=float(first_at),
        last_at=float(last_at), title=title or DEFAULT_TITLE, model=model,
        message_count=messages, user_message_count=prompts,
        totals=tuple(totals.items()),
        usage=tuple(tuple(record.items()) for record in usage.records()),
        estimated=True, truncated=size - start > settings.max_file_bytes,
    )
