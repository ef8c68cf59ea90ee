"""Parsing one transcript whole, or as head plus tail when it is over the size cap (S4.16).

The same pass builds the messages and the row summary, so a row's counts are exactly the
transcript's whenever the file was parsed whole. A last line longer than the tail window is
never read (issue 13): the lines before it are shown, then a ``system`` notice (``kind:
"notice"``) naming the bytes left out in ``omitted_bytes``, which the row's counts leave out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .classify import classify
from .discovery import TranscriptFile
from .ids import id_for_resolved
from .messages import MessageBuilder
from .records import (
    LineStats,
    TailPlan,
    decode_line,
    iter_range_lines,
    open_regular,
    plan_tail,
    read_head,
)
from .settings import ClaudeCodeSettings
from .summary import FileSummary, SummaryBuilder

__all__ = ["ParsedTranscript", "parse_transcript", "count_user_messages"]


@dataclass(frozen=True)
class ParsedTranscript:
    """Messages in file order plus the summary; ``summary.has_conversation`` is False for
    summary-only or snapshot-only files (not sessions, S4.2)."""

    messages: list[dict[str, Any]]
    summary: FileSummary
    has_conversation: bool


def count_user_messages(messages: list[dict[str, Any]]) -> int:
    return sum(1 for message in messages if message.get("role") == "user")


def _omitted_notice(plan: TailPlan, settings: ClaudeCodeSettings) -> dict[str, Any]:
    window = f"{settings.max_file_bytes / (1024 * 1024):g} MB"
    if plan.line_found:
        text = (
            f"The last record of this transcript ({plan.omitted:,} bytes) is longer than the "
            f"{window} read of a transcript; it was left out."
        )
    else:
        text = (
            f"{plan.omitted:,} bytes after the start of this transcript were left out: it ends "
            f"with a record longer than the {window} read of a transcript, and no start of it "
            f"was found within {settings.line_scan_bytes / (1024 * 1024):g} MB before that."
        )
    return {"role": "system", "kind": "notice", "content": text, "omitted_bytes": plan.omitted}


def parse_transcript(file: TranscriptFile, settings: ClaudeCodeSettings) -> ParsedTranscript:
    """Read ``file`` up to its stat size. Raises OSError if it cannot be opened (vanished, or
    no longer a regular file)."""
    builder = MessageBuilder(settings.max_content_chars)
    facts = SummaryBuilder()
    stats = LineStats()
    truncated = file.size > settings.max_file_bytes
    plan: TailPlan | None = None
    with open_regular(file.path) as handle:
        start, end = 0, file.size
        if truncated:
            # Head: cwd, first time and first prompt; messages come from the tail, and from the
            # head too when the tail window runs straight on from it.
            head = read_head(handle, file.size, settings.head_bytes)
            head_records = [
                (record, classify(record))
                for record in (decode_line(line, stats) for line in head.split(b"\n"))
                if record is not None
            ]
            for head_record, classified in head_records:
                facts.add(head_record, classified)
            plan = plan_tail(
                handle, file.size, settings.max_file_bytes, len(head), settings.line_scan_bytes
            )
            if plan.with_head:
                for head_record, classified in head_records:
                    builder.add(head_record, classified)
            start, end = plan.start, plan.end
            facts.want_prompt = facts.titles.first_prompt is None
        for line in iter_range_lines(handle, start, end):
            record = decode_line(line, stats)
            if record is None:
                continue
            classified = classify(record)  # once, for both readers
            facts.add(record, classified)
            builder.add(record, classified)
    messages = builder.finish()
    summary = facts.finish(
        path=file.path,
        session_id=id_for_resolved(file.path),
        external_session_id=file.stem,
        mtime_ns=file.mtime_ns,
        size=file.size,
        message_count=len(messages),
        user_message_count=count_user_messages(messages),
        bad_lines=stats.bad,
        truncated=truncated,
    )
    if plan is not None and plan.omitted:
        messages.append(_omitted_notice(plan, settings))
    return ParsedTranscript(messages, summary, facts.has_conversation)
