"""Row facts of a large transcript from a bounded head and tail, without parsing it whole.

A listing's cost is the bytes Python touches, so each window is read in growing steps from
one descriptor and a pass stops as soon as its questions are answered: forward from the
start until the working directory, first time and first prompt are known (at most
``head_bytes``); backward from the end until the last time and model are known and the count
sample holds :data:`TAIL_SAMPLE` bytes (at most ``row_tail_bytes``). Lines are located with
``find`` and copied only to be decoded, and a line is decoded only when its opening bytes say
it can answer an open question (the guesses of :mod:`.classify`): a tool result is never a
typed prompt, an assistant line never a prompt (its model is read from its opening), a
file-history snapshot holds nothing a row needs.

Title records (custom and AI titles, summaries) are rare and may sit anywhere in the windows,
so the whole ``head_bytes`` and ``row_tail_bytes`` are still searched for them, by a prefix
test at each line start (Claude Code writes them with ``"type"`` first), and applied in file
order.

Counts and tokens come from byte patterns over the lines seen (tokens de-duplicated per
response): the head as it is, the tail sample extrapolated over the unseen middle; the row
says ``stats_estimated`` until the exact running count (:mod:`.counts`) or opening the
transcript replaces them (S4.16, S4.18).

All of this assumes Claude Code's own compact layout. A legacy file (records without
``"type"``, see :mod:`.legacy`) has none of it, so a decoded legacy message ends the scan with
None and the caller parses the file instead; real transcripts never take that branch.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Iterator

from .classify import (
    LINE_EDGE,
    SNAPSHOT_LINE_PREFIX,
    TITLE_LINE_PREFIXES,
    RecordKind,
    is_user_line,
    line_may_title,
    peek_line,
)
from .discovery import TranscriptFile
from .ids import id_for_resolved
from .records import LineStats, decode_line, open_regular_fd
from .settings import ClaudeCodeSettings
from .summary import MAX_MODEL_CHARS, SYNTHETIC_MODEL, FileSummary, SummaryBuilder

__all__ = ["FIRST_STEP", "TAIL_SAMPLE", "summarise_windows"]

#: First read of each window; doubled until the pass is done or the window's limit reached.
FIRST_STEP = 16 * 1024
#: Bytes of whole tail lines the count estimate samples (more if the closing facts need it).
TAIL_SAMPLE = 32 * 1024

# Kinds compared on every sampled line; a module name is found faster than an Enum attribute.
_PROMPT, _TOOL_RESULT, _ASSISTANT = RecordKind.PROMPT, RecordKind.TOOL_RESULT, RecordKind.ASSISTANT
_MESSAGE = b'"message":{'
_SYNTHETIC = b'"model":"<synthetic>"'
_USAGE = b'"usage":{'
# Claude Code's layout, with the optional cache_creation breakdown; anchored, so no backtracking.
_USAGE_BODY = re.compile(
    rb'"usage":\{"input_tokens":(\d+),"cache_creation_input_tokens":(\d+),'
    rb'"cache_read_input_tokens":(\d+),(?:"cache_creation":\{[^}]*\},)?"output_tokens":(\d+)'
)
_MESSAGE_ID = re.compile(rb'"id":"([^"]+)"')
_MODEL = re.compile(rb'"model":"([^"\\]+)"')
_REQUEST_ID = re.compile(rb'"requestId":"([^"]+)"')


class _Sample:
    """Byte-pattern counts over whole lines, without decoding them (the estimate's input)."""

    __slots__ = ("bytes", "prompts", "tool_results", "usage")

    def __init__(self) -> None:
        self.bytes = 0
        self.prompts = 0
        self.tool_results = 0
        self.usage: dict[tuple[bytes, bytes], tuple[bytes, ...]] = {}

    def add(self, data: bytes, start: int, end: int) -> None:
        """Count the line ``data[start:end]`` as :func:`.classify.peek_line` guesses it: a shown
        user text is a prompt, tool results count one each, an assistant line its usage."""
        self.bytes += end - start + 1
        kind, body_at, tool_results = peek_line(data, start, end)
        if kind is _PROMPT:
            self.prompts += 1
            return
        if kind is _TOOL_RESULT:
            self.tool_results += tool_results
            return
        if kind is not _ASSISTANT:
            return
        # An assistant line's usage, once per response (message id and request id).
        at = data.rfind(_USAGE, max(start, end - 4 * LINE_EDGE), end)
        if at < 0:
            return
        body = _USAGE_BODY.match(data, at, end)
        found = _MESSAGE_ID.search(data, body_at, min(end, start + LINE_EDGE))
        if body is None or found is None or data.find(_SYNTHETIC, body_at, found.start()) >= 0:
            return
        request = _REQUEST_ID.search(data, body.end(), end)
        # Digits as matched; only the last usage of each response is converted (:func:`_sums`).
        self.usage[(found.group(1), request.group(1) if request else b"")] = body.groups()


def _sums(usage: dict[tuple[bytes, bytes], tuple[bytes, ...]]) -> list[int]:
    """Input, output, cache-creation and cache-read totals (the regex's groups 1, 4, 2, 3)."""
    totals = [0, 0, 0, 0]
    for given, creation, read, output in usage.values():
        totals[0] += int(given)
        totals[1] += int(output)
        totals[2] += int(creation)
        totals[3] += int(read)
    return totals


class _Windows:
    """The head and tail windows of one file: one read each, never past the size seen by the
    scan (S4.19). The tail starts one byte early so its first line is known to be whole."""

    __slots__ = ("head", "head_whole", "tail", "tail_start", "size")

    def __init__(self, fd: int, size: int, head_bytes: int, tail_bytes: int) -> None:
        self.size = size
        self.head = os.pread(fd, min(size, head_bytes), 0)
        self.head_whole = len(self.head) == size
        self.tail_start = max(0, size - tail_bytes - 1)
        self.tail = os.pread(fd, size - self.tail_start, self.tail_start)
        if len(self.tail) < size - self.tail_start:  # shrank under us: keep what is there
            self.tail = b""
            self.tail_start = size

    def head_lines(self, position: int = 0) -> Iterator[tuple[int, int]]:
        """``(start, end)`` of each full head line from ``position``, in file order. The
        unterminated last line counts only when the head is the whole file."""
        data = self.head
        while True:
            newline = data.find(b"\n", position)
            if newline < 0:
                if self.head_whole and position < len(data):
                    yield position, len(data)
                return
            yield position, newline
            position = newline + 1

    def tail_lines(self, floor: int) -> Iterator[tuple[int, int]]:
        """``(start, end)`` within ``tail`` of each full line starting at or above file offset
        ``floor`` (a line boundary), last line first."""
        data = self.tail
        lowest = max(0, floor - self.tail_start)
        end = len(data)
        while end > lowest:
            newline = data.rfind(b"\n", lowest, end)
            if newline < 0:
                if self.tail_start + lowest == floor:
                    yield lowest, end  # the floor is a line boundary
                return
            if end - newline > 1:
                yield newline + 1, end
            end = newline


def summarise_windows(
    file: TranscriptFile, settings: ClaudeCodeSettings
) -> tuple[FileSummary, bool] | None:
    """The row summary of ``file`` from its head and tail, and whether it holds a conversation;
    None for a legacy file, whose figures this scan cannot give. Raises OSError
    (FileNotFoundError when the file vanished, NotARegularFile when it became a FIFO)."""
    fd = open_regular_fd(file.path)
    try:
        return _summarise(_Windows(fd, file.size, settings.head_bytes, settings.row_tail_bytes),
                          file, settings)
    finally:
        os.close(fd)


@dataclass
class _Opening:
    """What the forward pass through the head learned: the row's facts so far, the title lines
    it met, where the head's lines end and where the facts pass stopped."""

    facts: SummaryBuilder
    titles: list[bytes]
    head_end: int
    facts_end: int
    early_model: str | None


@dataclass
class _Closing:
    """What the backward pass from the end learned: the last time, model, branch and slug,
    the title lines it met (last first), and whether it saw a conversation line."""

    last_at: float | None = None
    model: str | None = None
    branch: str | None = None
    slug: str | None = None
    titles: list[bytes] = field(default_factory=list)
    has_conversation: bool = False
    known: bool = False  # the last time and model are both known: the pass is done

    def take(self, closing: SummaryBuilder) -> None:
        """Keep the first (latest in the file) value of each fact the decoded lines gave."""
        if self.last_at is None:
            self.last_at = closing.last_at
        self.model = self.model or closing.model
        self.branch = self.branch or closing.git_branch
        self.slug = self.slug or closing.titles.slug
        self.known = self.last_at is not None and self.model is not None


def _summarise(
    windows: _Windows, file: TranscriptFile, settings: ClaudeCodeSettings
) -> tuple[FileSummary, bool] | None:
    stats = LineStats()
    sample = _Sample()
    opening = _read_opening(windows, stats, sample)
    if opening is None:
        return None
    closing = _read_closing(windows, stats, sample, opening)
    if closing is None:
        return None
    facts = opening.facts
    _apply_closing(facts, opening, closing)
    summary = _finish(facts, sample, windows, file, settings, stats)
    return summary, facts.has_conversation or closing.has_conversation


def _only_prompt_missing(facts: SummaryBuilder) -> bool:
    return bool(facts.cwd and facts.first_at is not None and facts.has_conversation)


def _read_opening(windows: _Windows, stats: LineStats, sample: _Sample) -> _Opening | None:
    """Forward through the head: decode until the working directory, first time and first
    prompt are known, sample every line, keep every title line. None for a legacy file."""
    facts = SummaryBuilder(want_tokens=False)
    titles: list[bytes] = []
    head_end = 0  # end of the head window's lines
    facts_end = -1  # end of the last line the facts pass needed
    early_model: str | None = None
    only_prompt_missing = opening_known = False  # the facts change only when a line is decoded
    data = windows.head
    for start, end in windows.head_lines():
        head_end = end + 1
        if end - start <= 2:
            continue
        if data.startswith(TITLE_LINE_PREFIXES, start):
            titles.append(data[start:end])
        sample.add(data, start, end)
        if opening_known or data.startswith(SNAPSHOT_LINE_PREFIX, start):
            continue
        if only_prompt_missing and not line_may_title(data, start, end):
            # Skipped without decoding; an assistant line still tells the model.
            early_model = _opening_model(data, start, min(end, start + LINE_EDGE)) or early_model
            continue
        facts_end = end + 1
        record = decode_line(data[start:end], stats)
        if record is not None:
            facts.add(record)
            only_prompt_missing = _only_prompt_missing(facts)
            opening_known = only_prompt_missing and bool(facts.titles.first_prompt)
    if facts.saw_legacy:
        return None
    head_end = min(head_end, windows.size)
    return _Opening(facts, titles, head_end, min(max(facts_end, 0), head_end),
                    facts.model or early_model)


def _read_closing(
    windows: _Windows, stats: LineStats, sample: _Sample, opening: _Opening
) -> _Closing | None:
    """Backward from the end: decode until the last time and model are known; sample and keep
    title lines the head window does not already hold (a window larger than the file). None
    for a legacy file."""
    closing = SummaryBuilder(want_prompt=False, want_tokens=False)
    found = _Closing()
    data = windows.tail
    above_head = opening.head_end - windows.tail_start
    for start, end in windows.tail_lines(opening.facts_end):
        if end - start <= 2:
            continue
        if start >= above_head:
            if data.startswith(TITLE_LINE_PREFIXES, start):
                found.titles.append(data[start:end])
            sample.add(data, start, end)
        elif found.known:
            break
        if found.known or data.startswith(SNAPSHOT_LINE_PREFIX, start):
            continue
        if found.last_at is not None and is_user_line(data, start, end):
            continue  # only the model is missing, and a user line has none
        record = decode_line(data[start:end], stats)
        if record is not None:
            closing.add(record)
            found.take(closing)
    if closing.saw_legacy:
        return None
    found.has_conversation = closing.has_conversation
    return found


def _apply_closing(facts: SummaryBuilder, opening: _Opening, closing: _Closing) -> None:
    """Title records in file order; the latest time, branch, slug and model, as a whole parse
    would give."""
    for line in opening.titles + closing.titles[::-1]:
        record = decode_line(line)
        if record is not None:
            facts.titles.add_record(record)
    if closing.branch:
        facts.git_branch = closing.branch
    if closing.slug:
        facts.titles.slug = closing.slug
    if closing.last_at is not None:
        facts.last_at = closing.last_at
    facts.model = closing.model or opening.early_model


def _finish(
    facts: SummaryBuilder, sample: _Sample, windows: _Windows, file: TranscriptFile,
    settings: ClaudeCodeSettings, stats: LineStats,
) -> FileSummary:
    """The summary, with counts and tokens of the windows as sampled and the unseen middle
    at their density."""
    scale = file.size / sample.bytes if sample.bytes else 1.0
    window_messages = sample.tool_results + len(sample.usage) + sample.prompts
    tokens = tuple(round(value * scale) for value in _sums(sample.usage))
    return facts.finish(
        path=file.path,
        session_id=id_for_resolved(file.path),
        external_session_id=file.stem,
        mtime_ns=file.mtime_ns,
        size=file.size,
        message_count=max(window_messages, round(window_messages * scale)),
        user_message_count=max(sample.prompts, round(sample.prompts * scale)),
        bad_lines=stats.bad,
        truncated=file.size > settings.max_file_bytes,
        estimated=True,
        tokens=tokens,  # type: ignore[arg-type]
        has_uuid=lambda leaf: _has_uuid(windows, leaf),
    )


def _opening_model(data: bytes, start: int, opening: int) -> str | None:
    message = data.find(_MESSAGE, start, opening)
    found = _MODEL.search(data, message, opening) if message >= 0 else None
    if found is None:
        return None
    model = found.group(1).decode("utf-8", "replace")
    return None if model == SYNTHETIC_MODEL else model[:MAX_MODEL_CHARS]


def _has_uuid(windows: _Windows, leaf: str) -> bool:
    marker = b'"uuid":"' + leaf.encode("utf-8", "replace") + b'"'
    return marker in windows.head or marker in windows.tail
