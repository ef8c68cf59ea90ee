"""Row facts of a larger chat from a bounded head and tail, without parsing it whole.

A listing's cost is the bytes Python touches, so the windows are searched with ``bytes``
methods and only what answers a row's questions is decoded: the session record (the first
line of a ``.jsonl``, the top of a ``.json``), the first ``user`` messages until a typed prompt
is found, the ``$set`` patches of the tail (``lastUpdated``, ``summary``), and the
``summary``, ``kind`` and ``directories`` a ``.json`` keeps after its messages. ``gemini``
messages are never decoded: the last model and the last token report are read from their
bytes (Gemini writes ``JSON.stringify`` output, compact in ``.jsonl``, indented by two spaces
in ``.json``). Counts are the tail's, scaled to the file's size; tokens are the last report
times half the estimated replies (the prompt grows through a chat). The row says
``stats_estimated`` until :mod:`.listing` parses the file whole. A file whose layout is not
the expected one gives None, and the caller parses it whole instead.
"""

from __future__ import annotations

import re
from typing import Any

from .conversation import decode_line
from .discovery import ChatFile
from .parts import UserKind, user_kind
from .reading import read_windows
from .settings import GeminiSettings
from .summary import FALLBACK_TITLE, ChatSummary, TokenCounts, chat_epoch, clean_title, usage_rows

__all__ = ["summarise_windows"]

_SMALL = 256 * 1024
#: A session record longer than the head window (a long ``directories`` list) gets one more
#: try with a head this many times larger before the caller parses the file whole.
_HEAD_RETRY = 16
_MODEL = re.compile(rb'"model": ?"([^"\\]{1,256})"')
_TOKENS = re.compile(
    rb'"tokens": ?\{\s*"input": ?(\d+),\s*"output": ?(\d+),\s*"cached": ?(\d+)'
    rb'(?:,\s*"thoughts": ?(\d+))?(?:,\s*"tool": ?(\d+))?'
)
_TOKENS_KEY = b'"tokens":'
_JSON_TOP = re.compile(
    rb'\{\s*"sessionId": "([^"\\]{1,200})",\s*"projectHash": "([^"\\]{0,256})",'
    rb'\s*"startTime": "([^"\\]{0,64})",\s*"lastUpdated": "([^"\\]{0,64})"'
)


class _Facts:
    """What the windows told."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {}
        self.first_prompt: str | None = None
        self.model: str | None = None
        self.last_tokens: TokenCounts | None = None

    def user(self, data: bytes) -> None:
        record = decode_line(data) if len(data) <= _SMALL else None
        if isinstance(record, dict):
            what, text = user_kind(record)
            if what is UserKind.TYPED:
                self.first_prompt = clean_title(text)

    def tokens(self, data: bytes) -> None:
        """The last token report of a window (a ``gemini`` message's ``tokens``)."""
        at = data.rfind(_TOKENS_KEY)
        found = _TOKENS.match(data, at) if at >= 0 else None
        if found is not None:
            self.last_tokens = tuple(int(value or 0) for value in found.groups())  # type: ignore[assignment]


def _last_model(*windows: bytes) -> str | None:
    for data in windows:
        at = data.rfind(b'"model":')
        if at >= 0:
            found = _MODEL.match(data, at)
            if found:
                return found.group(1).decode("utf-8", "replace")
    return None


def _scan_jsonl(file: ChatFile, head: bytes, tail: bytes, facts: _Facts) -> bool:
    end = head.find(b"\n")
    if end < 0 and len(head) < file.size:
        return False
    first = decode_line(head[: end if end >= 0 else len(head)])
    if not isinstance(first, dict) or not isinstance(first.get("sessionId"), str):
        return False
    facts.header.update({k: v for k, v in first.items() if k != "messages"})
    # The first typed prompt: user lines only, decoded in order until one is typed.
    position = end + 1 if end >= 0 else len(head)
    windows = [(head, position)]
    newline = tail.find(b"\n")
    if newline >= 0:
        windows.append((tail, newline + 1))
    for data, start in windows:
        while facts.first_prompt is None:
            at = data.find(b'"type":"user"', start)
            if at < 0:
                break
            line = data.rfind(b"\n", 0, at) + 1
            close = data.find(b"\n", at)
            if close < 0:
                break
            if line >= start:
                facts.user(data[line:close])
            start = close + 1
    if newline >= 0:  # the last patch (lastUpdated), and the last one naming a summary
        for marker in (b'{"$set":{"summary"', b'{"$set":'):
            at = tail.rfind(marker, newline)
            close = tail.find(b"\n", at) if at >= 0 else -1
            if close < 0 or close - at > _SMALL:
                continue
            record = decode_line(tail[at:close])
            patch = record.get("$set") if isinstance(record, dict) else None
            if isinstance(patch, dict):
                facts.header.update({k: v for k, v in patch.items() if k != "messages"})
    facts.tokens(tail or head)
    facts.model = _last_model(tail, head)
    return True


def _top_value(data: bytes, key: bytes) -> Any:
    """A top-level value of an indented ``.json`` (two spaces) in a window; None if absent."""
    marker = b'\n  "' + key + b'": '
    at = data.rfind(marker)
    if at < 0:
        return None
    start = at + len(marker)
    ends = [c for c in (data.find(b',\n  "', start), data.find(b"\n}", start)) if c >= 0]
    return decode_line(data[start:min(ends)]) if ends else None


def _scan_json(file: ChatFile, head: bytes, tail: bytes, facts: _Facts) -> bool:
    top = _JSON_TOP.match(head)
    if top is None:
        return False
    names = ("sessionId", "projectHash", "startTime", "lastUpdated")
    facts.header.update(zip(names, (v.decode("utf-8", "replace") for v in top.groups())))
    after = tail or head
    close = after.rfind(b"\n  ]")  # the end of "messages": later keys came after it
    if close >= 0 and after.find(b'\n  "', close) >= 0:
        rest = after[close:]
        for key in (b"summary", b"kind", b"directories"):
            value = _top_value(rest, key)
            if value is not None:
                facts.header[key.decode()] = value
    for data in (head, tail):
        start = 0
        while facts.first_prompt is None:
            at = data.find(b'\n      "type": "user"', start)
            if at < 0:
                break
            opening = data.rfind(b"\n    {\n", 0, at)
            close = data.find(b"\n    }", at)
            if opening < 0 or close < 0:
                break
            facts.user(data[opening + 1: close + 6])
            start = close + 6
    facts.tokens(tail or head)
    facts.model = _last_model(tail, head)
    return True


def summarise_windows(file: ChatFile, settings: GeminiSettings) -> ChatSummary | None:
    """An estimated summary from the windows, or None when the caller must parse the file.
    May raise OSError."""
    jsonl = file.is_jsonl
    scan = _scan_jsonl if jsonl else _scan_json
    head, tail, _tail_start = read_windows(file.path, file.size, settings.head_bytes,
                                           settings.tail_bytes)
    facts = _Facts()
    scanned = scan(file, head, tail, facts)
    if not scanned and len(head) < file.size and head.find(b"\n") < 0:
        head, tail, _tail_start = read_windows(file.path, file.size,
                                               settings.head_bytes * _HEAD_RETRY,
                                               settings.tail_bytes)
        facts = _Facts()
        scanned = scan(file, head, tail, facts)
    native = facts.header.get("sessionId")
    if not scanned or not isinstance(native, str) or not native:
        return None
    # Counts from the tail alone (two passes), scaled: an estimate, and a cheap one.
    sample = tail or head
    scale = file.size / len(sample) if sample else 1.0
    if jsonl:
        shown, answers = sample.count(b'{"id":"'), sample.count(b'"type":"gemini"')
    else:
        shown, answers = sample.count(b"\n    {\n"), sample.count(b'"type": "gemini"')
    users = max(shown - answers, 0)
    summary_title = clean_title(facts.header.get("summary"))
    start = chat_epoch(facts.header.get("startTime"))
    updated = chat_epoch(facts.header.get("lastUpdated"))
    fallback = file.mtime_ns / 1e9
    first_at = start if start is not None else (updated or fallback)
    last_at = max(updated, first_at) if updated is not None else first_at
    directories = facts.header.get("directories")
    project_hash = facts.header.get("projectHash")
    kind = facts.header.get("kind")
    # One estimated report: the prompt grows through a chat, so the chat's reports add up to
    # about half the last one per model answer (answers: the tail's share of messages).
    replies = max(1.0, answers * scale)
    usage = (("estimate", (last_at, facts.model, tuple(
        round(value * replies / 2) for value in facts.last_tokens))),) \
        if facts.last_tokens else ()
    return ChatSummary(
        path=file.path,
        native_id=native,
        kind=kind if isinstance(kind, str) else "main",
        project_hash=project_hash if isinstance(project_hash, str) and len(project_hash) <= 256
        else None,
        directories=tuple(d for d in directories if isinstance(d, str) and len(d) <= 4096)
        if isinstance(directories, list) else (),
        first_at=first_at,
        last_at=last_at,
        title=summary_title or facts.first_prompt or FALLBACK_TITLE,
        model=facts.model,
        models=(facts.model,) if facts.model else (),
        message_count=max(1, round(shown * scale)),
        user_message_count=round(users * scale),
        records=usage_rows(usage),
        usage=usage,
        truncated=(file.size > settings.max_jsonl_bytes) if jsonl
        else file.size > settings.max_json_bytes,
        estimated=True,
    )
