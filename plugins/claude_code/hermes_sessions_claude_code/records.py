"""Reading JSONL records from a transcript without trusting it (S4.19).

Every read stops at the size seen by ``stat``, so a file that grows while being read is read
as it was; lines that are not JSON objects (truncated tails, comments, bad bytes) are counted
and skipped, never raised. Files are opened with :func:`open_regular`, so a FIFO or device
swapped in after the scan fails at once instead of blocking. A file over the size cap is read
as its head and a tail window (:func:`plan_tail`); a last line longer than the window is never
read: the plan names its bytes so the transcript can say what was left out (issue 13).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any, Iterator

import orjson

from hermes_sessions_core.jsonl_windows import CHUNK_BYTES, line_end_after, lines_in_range

# One non-blocking, no-symlink open for every source (S4.2, issue 13), re-exported here.
from hermes_sessions_core.regular_files import NotARegularFile, open_regular, open_regular_fd

__all__ = [
    "LineStats",
    "NotARegularFile",
    "TailPlan",
    "decode_line",
    "iter_range_lines",
    "open_regular",
    "open_regular_fd",
    "plan_tail",
    "read_head",
    "read_tail",
]


@dataclass
class LineStats:
    """Counts of what a reader met; ``bad`` lines were skipped (S4.19)."""

    lines: int = 0
    bad: int = 0


def decode_line(line: bytes, stats: LineStats | None = None) -> dict[str, Any] | None:
    """One record as a dict, or None for blank, malformed, truncated or non-object lines.

    Invalid UTF-8 is replaced rather than dropping the whole record.
    """
    line = line.strip()
    if not line:
        return None
    if stats is not None:
        stats.lines += 1
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            value = orjson.loads(line.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:
            value = None
    if not isinstance(value, dict):
        if stats is not None:
            stats.bad += 1
        return None
    return value


def iter_range_lines(handle: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """Lines between byte offsets ``start`` and ``end`` (see :func:`lines_in_range`)."""
    return (line for _, line in lines_in_range(handle, start, end))


def read_head(handle: IO[bytes], size: int, head_bytes: int) -> bytes:
    """The first ``head_bytes`` of the file, cut after its last full line (unless it is all)."""
    handle.seek(0)
    data = handle.read(min(size, head_bytes))
    if len(data) < size:
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else b""
    return data


def _next_line_start(handle: IO[bytes], position: int, limit: int) -> int:
    """The first line start at or after ``position``, searched in chunks up to ``limit``;
    ``limit`` when there is none."""
    return 0 if position <= 0 else line_end_after(handle, position - 1, limit)


def _previous_line_start(handle: IO[bytes], lower: int, upper: int, floor: int) -> int | None:
    """The start of the line that runs through offset ``upper``, searched back to ``lower``;
    ``floor`` (a known line start) counts when the search reaches it. None when the start is
    out of reach."""
    end = upper
    while end > lower:
        begin = max(lower, end - CHUNK_BYTES)
        handle.seek(begin)
        newline = handle.read(end - begin).rfind(b"\n")
        if newline >= 0:
            return begin + newline + 1
        end = begin
    return floor if lower <= floor else None


def tail_start(handle: IO[bytes], size: int, tail_bytes: int, floor: int = 0) -> int:
    """Offset of the first full line within the last ``tail_bytes`` (never below ``floor``)."""
    return _next_line_start(handle, max(floor, size - tail_bytes), size)


@dataclass(frozen=True)
class TailPlan:
    """Which bytes of a file over the size cap are read as lines (S4.16, issue 13).

    Lines from ``start`` to ``end`` are read. ``omitted`` bytes from ``end`` to the size are a
    last line too long to read (or, when its start was out of reach, everything after the
    head); ``with_head`` is True when the head's lines run straight into ``start``, so the
    head's messages belong to the transcript too."""

    start: int
    end: int
    omitted: int = 0
    with_head: bool = False
    line_found: bool = True


def plan_tail(
    handle: IO[bytes], size: int, tail_bytes: int, floor: int, scan_bytes: int
) -> TailPlan:
    """The tail window of a file whose head ends at ``floor`` (a line start).

    Normally the lines that start within the last ``tail_bytes``. When none does, the last line
    is longer than the window: its start is searched for at most ``scan_bytes`` before the
    window (in chunks, never held), and the window's worth of lines before it is read instead.
    """
    window = max(floor, size - tail_bytes)
    first = _next_line_start(handle, window, size)
    if first < size:
        return TailPlan(first, size, with_head=first == floor)
    line_start = _previous_line_start(handle, max(floor, window - scan_bytes), window, floor)
    if line_start is None:
        return TailPlan(floor, floor, size - floor, with_head=True, line_found=False)
    start = _next_line_start(handle, max(floor, line_start - tail_bytes), line_start)
    return TailPlan(start, line_start, size - line_start, with_head=start == floor)


def read_tail(handle: IO[bytes], size: int, tail_bytes: int, floor: int = 0) -> bytes:
    """The last ``tail_bytes`` up to the stat size, from the first full line."""
    start = tail_start(handle, size, tail_bytes, floor)
    if start >= size:
        return b""
    handle.seek(start)
    return handle.read(size - start)
