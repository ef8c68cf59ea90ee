"""Reading JSONL records from a transcript without trusting it (S4.19).

Every read stops at the size seen by ``stat``, so a file that grows while being read is read
as it was; lines that are not JSON objects (truncated tails, comments, bad bytes) are counted
and skipped, never raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any, Iterator

import orjson

__all__ = ["decode_line", "iter_lines", "iter_range_lines", "read_head", "read_tail", "LineStats"]

_CHUNK = 1024 * 1024


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


def iter_lines(data: bytes) -> Iterator[bytes]:
    """Non-blank lines of an in-memory window."""
    for line in data.split(b"\n"):
        if line.strip():
            yield line


def iter_range_lines(handle: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """Lines between byte offsets ``start`` and ``end``, read in bounded chunks.

    Memory stays near one chunk plus the longest line, so a 20 MB transcript is never held
    as one buffer.
    """
    handle.seek(start)
    remaining = end - start
    pending = b""
    while remaining > 0:
        block = handle.read(min(_CHUNK, remaining))
        if not block:
            break
        remaining -= len(block)
        if pending:
            block = pending + block
        lines = block.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def read_head(handle: IO[bytes], size: int, head_bytes: int) -> bytes:
    """The first ``head_bytes`` of the file, cut after its last full line (unless it is all)."""
    handle.seek(0)
    data = handle.read(min(size, head_bytes))
    if len(data) < size:
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else b""
    return data


def tail_start(handle: IO[bytes], size: int, tail_bytes: int, floor: int = 0) -> int:
    """Offset of the first full line within the last ``tail_bytes`` (never below ``floor``)."""
    start = max(floor, size - tail_bytes)
    if start <= 0:
        return 0
    handle.seek(start - 1)
    probe = handle.read(min(_CHUNK, size - start + 1))
    if probe[:1] == b"\n":
        return start
    cut = probe.find(b"\n")
    return size if cut < 0 else start + cut


def read_tail(handle: IO[bytes], size: int, tail_bytes: int, floor: int = 0) -> bytes:
    """The last ``tail_bytes`` up to the stat size, from the first full line."""
    start = tail_start(handle, size, tail_bytes, floor)
    if start >= size:
        return b""
    handle.seek(start)
    return handle.read(size - start)
