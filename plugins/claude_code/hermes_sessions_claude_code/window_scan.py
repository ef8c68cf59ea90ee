"""Row facts of a large transcript from a bounded head and tail, without parsing it whole.

Listing is dominated by JSON decoding, so this reads ``head_bytes`` and ``row_tail_bytes`` and
decodes only the lines that answer a question: forward from the start until the working
directory, first time and first prompt are known; backward from the end until the last time
and model are known; and the rare title records, located with a byte search. Counts and
tokens come from byte patterns over both windows (tokens still de-duplicated per response)
and are extrapolated to the file size, so the row says ``stats_estimated``. Opening the
transcript parses it whole and replaces the estimate with exact figures (S4.16, S4.18).

Byte patterns are safe because a JSON string escapes every quote: ``"type":"tool_result"``
with bare quotes can only be structure, never text inside a message.
"""

from __future__ import annotations

import re

from .discovery import TranscriptFile
from .ids import id_for_resolved
from .records import LineStats, decode_line, read_head, read_tail
from .settings import ClaudeCodeSettings
from .summary import FileSummary, SummaryBuilder

__all__ = ["summarise_windows"]

_TITLE_PREFIXES = (b'{"type":"summary"', b'{"type":"custom-title"', b'{"type":"ai-title"')
_TOOL_RESULT = b'"type":"tool_result"'
_USER_ROLE = b'"message":{"role":"user"'
_EDGE = 1024
_META = b'"isMeta":true'
_SIDECHAIN = b'"isSidechain":true'
_SYNTHETIC = b'"model":"<synthetic>"'
_USAGE_BODY = re.compile(
    rb'"usage":\{"input_tokens":(\d+),"cache_creation_input_tokens":(\d+),'
    rb'"cache_read_input_tokens":(\d+)[^}]*(?:\{[^}]*\}[^}]*)?"output_tokens":(\d+)'
)
_MESSAGE_ID = re.compile(rb'"id":"([^"]+)"')
_REQUEST_ID = re.compile(rb'"requestId":"([^"]+)"')


def _lines(window: bytes) -> list[bytes]:
    return [line for line in window.split(b"\n") if len(line) > 2]


def summarise_windows(file: TranscriptFile, settings: ClaudeCodeSettings) -> tuple[FileSummary, bool]:
    """The row summary of ``file`` from its head and tail, and whether it holds a conversation."""
    with open(file.path, "rb") as handle:
        head = read_head(handle, file.size, settings.head_bytes)
        tail = read_tail(handle, file.size, settings.row_tail_bytes, floor=len(head))
    stats = LineStats()
    facts = SummaryBuilder()
    head_lines = _lines(head)
    tail_lines = _lines(tail)

    # Forward through the head until the opening facts are known.
    for line in head_lines:
        if facts.cwd and facts.first_at is not None and facts.titles.first_prompt and facts.has_conversation:
            break
        record = decode_line(line, stats)
        if record is not None:
            facts.add(record)
    first_at = facts.first_at
    early_model = facts.model

    # Backward through the tail until the closing facts are known.
    closing = SummaryBuilder(want_prompt=False)
    last_at = None
    for line in reversed(tail_lines):
        if last_at is not None and closing.model is not None:
            break
        record = decode_line(line, stats)
        if record is None:
            continue
        closing.add(record)
        if last_at is None and closing.last_at is not None:
            last_at = closing.last_at

        # Claude Code writes these records with "type" first; a prefix test avoids scanning.
    for line in head_lines + tail_lines:
        if line.startswith(_TITLE_PREFIXES):
            record = decode_line(line)
            if record is not None:
                facts.titles.add_record(record)
    if closing.git_branch:
        facts.git_branch = closing.git_branch
    if facts.titles.slug is None:
        facts.titles.slug = closing.titles.slug
    facts.first_at = first_at
    facts.last_at = last_at if last_at is not None else facts.last_at
    facts.model = closing.model or early_model
    has_conversation = facts.has_conversation or closing.has_conversation

    # Counts and tokens from byte patterns, extrapolated to the whole file.
    seen = len(head) + len(tail)
    scale = file.size / seen if seen else 1.0
    tool_results = head.count(_TOOL_RESULT) + tail.count(_TOOL_RESULT)
    prompts = 0
    usage: dict[tuple[bytes, bytes], tuple[int, int, int, int]] = {}
    for line in head_lines + tail_lines:
        # Top-level flags sit before "message" (isSidechain, the user role) or in the last
        # few hundred bytes (isMeta, requestId, usage); never scan a whole 100 KB line.
        opening, closing_bytes = line[:_EDGE], line[-_EDGE:]
        if _SIDECHAIN in opening:
            continue
        if _USER_ROLE in opening:
            if _TOOL_RESULT not in opening and _META not in closing_bytes:
                prompts += 1
            continue
        at = line.rfind(b'"usage":{', max(0, len(line) - 4 * _EDGE))
        if at < 0 or _SYNTHETIC in opening:
            continue
        body = _USAGE_BODY.match(line, at)
        start = opening.find(b'"message":{')
        found = _MESSAGE_ID.search(opening, start) if start >= 0 else None
        if body is None or found is None:
            continue
        request = _REQUEST_ID.search(line, body.end())
        key = (found.group(1), request.group(1) if request else b"")
        usage[key] = (
            int(body.group(1)), int(body.group(4)), int(body.group(2)), int(body.group(3))
        )
    responses = len(usage)
    sums = [0, 0, 0, 0]
    for values in usage.values():
        for index, value in enumerate(values):
            sums[index] += value
    window_messages = tool_results + responses + prompts
    summary = facts.finish(
        path=file.path,
        session_id=id_for_resolved(file.path),
        external_session_id=file.stem,
        mtime_ns=file.mtime_ns,
        size=file.size,
        message_count=max(window_messages, round(window_messages * scale)),
        user_message_count=max(prompts, round(prompts * scale)),
        bad_lines=stats.bad,
        truncated=file.size > settings.max_file_bytes,
        estimated=True,
        tokens=tuple(round(value * scale) for value in sums),  # type: ignore[arg-type]
        has_uuid=lambda leaf: (b'"uuid":"' + leaf.encode("utf-8", "replace") + b'"') in head
        or (b'"uuid":"' + leaf.encode("utf-8", "replace") + b'"') in tail,
    )
    return summary, has_conversation
