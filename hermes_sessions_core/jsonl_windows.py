"""Reading a window of a JSONL transcript in bounded chunks: its lines, and where lines start.

Sources of append-only transcripts (Claude Code, Codex) read heads, tails and resumed ranges of
files that may be hundreds of megabytes; memory stays near one chunk plus the longest line.
"""

from __future__ import annotations

from typing import IO, Iterator

__all__ = ["CHUNK_BYTES", "line_end_after", "lines_in_range", "nonblank_lines"]

CHUNK_BYTES = 1024 * 1024


def nonblank_lines(data: bytes) -> Iterator[bytes]:
    """Non-blank lines of a window already in memory."""
    for line in data.split(b"\n"):
        if line.strip():
            yield line


def lines_in_range(handle: IO[bytes], start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` for the non-blank lines between ``start`` and ``end``; a last line
    without its newline is yielded too (it may be cut: decoding says)."""
    handle.seek(start)
    remaining = end - start
    pending = b""
    offset = start
    while remaining > 0:
        block = handle.read(min(CHUNK_BYTES, remaining))
        if not block:
            break
        remaining -= len(block)
        if pending:
            block = pending + block
        lines = block.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.strip():
                yield offset, line
            offset += len(line) + 1
    if pending.strip():
        yield offset, pending


def line_end_after(handle: IO[bytes], start: int, limit: int) -> int:
    """Offset just past the first newline at or after ``start``; ``limit`` when there is none
    before it (never more than ``limit``)."""
    handle.seek(start)
    at = start
    while at < limit:
        block = handle.read(min(CHUNK_BYTES, limit - at))
        if not block:
            break
        newline = block.find(b"\n")
        if newline >= 0:
            return min(limit, at + newline + 1)
        at += len(block)
    return limit
