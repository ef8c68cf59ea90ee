"""Parsing one transcript whole, or as head plus tail when it is over the size cap (S4.16).

The same pass builds the messages and the row summary, so a row's counts are exactly the
transcript's whenever the file was parsed whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .discovery import TranscriptFile
from .ids import id_for_resolved
from .messages import MessageBuilder
from .records import LineStats, decode_line, iter_range_lines, read_head, tail_start
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


def parse_transcript(file: TranscriptFile, settings: ClaudeCodeSettings) -> ParsedTranscript:
    """Read ``file`` up to its stat size. Raises OSError if it cannot be opened (vanished)."""
    builder = MessageBuilder(settings.max_content_chars)
    facts = SummaryBuilder()
    stats = LineStats()
    truncated = file.size > settings.max_file_bytes
    with open(file.path, "rb") as handle:
        start = 0
        if truncated:
            # Head: cwd, first time and first prompt only; messages come from the tail.
            for line in read_head(handle, file.size, settings.head_bytes).split(b"\n"):
                record = decode_line(line, stats)
                if record is not None:
                    facts.add(record)
            start = tail_start(handle, file.size, settings.max_file_bytes, settings.head_bytes)
            facts.want_prompt = facts.titles.first_prompt is None
        for line in iter_range_lines(handle, start, file.size):
            record = decode_line(line, stats)
            if record is None:
                continue
            facts.add(record)
            builder.add(record)
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
    return ParsedTranscript(messages, summary, facts.has_conversation)
