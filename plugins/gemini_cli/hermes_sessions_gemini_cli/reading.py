"""Reading chat files without trusting them: bounded, non-blocking, never through a symlink.

Every read stops at the size seen by ``stat``, so a file that grows while it is read is read
as it was. Files are opened with :func:`~hermes_sessions_core.regular_files.open_regular_fd`,
so a FIFO or device swapped in after the scan fails at once instead of blocking.
"""

from __future__ import annotations

import os
import stat
from typing import Iterator

import orjson

from hermes_sessions_core.regular_files import NotARegularFile, open_regular_fd

from .conversation import Conversation, decode_line, from_document, replay_lines
from .discovery import ChatFile
from .settings import GeminiSettings

__all__ = ["read_range", "read_windows", "parse_chat", "ParsedChat", "iter_lines"]

_CHUNK = 1 << 20
# Never blocks on a FIFO, never follows a final symlink; regular files ignore O_NONBLOCK, so
# a window read needs no switch back to blocking mode (what open_regular_fd adds).
_WINDOW_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def read_range(fd: int, start: int, end: int) -> bytes:
    """Bytes ``start``..``end`` of an open file (less if it shrank)."""
    chunks: list[bytes] = []
    position = start
    while position < end:
        chunk = os.pread(fd, min(_CHUNK, end - position), position)
        if not chunk:
            break
        chunks.append(chunk)
        position += len(chunk)
    return b"".join(chunks)


def read_windows(path: str, size: int, head: int, tail: int) -> tuple[bytes, bytes, int]:
    """``(head bytes, tail bytes, tail start)``; the tail never overlaps the head. One open,
    one ``fstat`` and two ``pread`` calls: the listing's whole cost for a larger chat."""
    fd = os.open(path, _WINDOW_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(path)
        first = os.pread(fd, min(size, head), 0)
        tail_start = max(len(first), size - tail)
        last = os.pread(fd, size - tail_start, tail_start) if tail_start < size else b""
    finally:
        os.close(fd)
    return first, last, tail_start


def iter_lines(data: bytes, max_line: int) -> Iterator[bytes]:
    """Lines of an in-memory buffer; a line longer than ``max_line`` is left out."""
    start = 0
    length = len(data)
    while start < length:
        end = data.find(b"\n", start)
        if end < 0:
            end = length
        if end - start <= max_line:
            yield data[start:end]
        start = end + 1


class ParsedChat:
    """A whole chat read: its conversation, and whether parts of it were left out."""

    __slots__ = ("conversation", "truncated", "skipped_bytes")

    def __init__(self, conversation: Conversation, truncated: bool, skipped_bytes: int) -> None:
        self.conversation = conversation
        self.truncated = truncated
        self.skipped_bytes = skipped_bytes


def parse_chat(file: ChatFile, settings: GeminiSettings) -> ParsedChat:
    """Read and replay a chat whole (``.jsonl`` above ``max_jsonl_bytes``: its head and its
    last ``max_jsonl_bytes``). A ``.json`` above ``max_json_bytes`` gives an empty, truncated
    conversation: it cannot be read in parts. May raise OSError."""
    if not file.is_jsonl:
        if file.size > settings.max_json_bytes:
            return ParsedChat(Conversation(), True, file.size)
        fd = open_regular_fd(file.path)
        try:
            data = read_range(fd, 0, file.size)
        finally:
            os.close(fd)
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            document = decode_line(data)
        return ParsedChat(from_document(document), False, 0)
    fd = open_regular_fd(file.path)
    try:
        if file.size <= settings.max_jsonl_bytes:
            data = read_range(fd, 0, file.size)
            return ParsedChat(replay_lines(iter_lines(data, settings.max_line_bytes)), False, 0)
        head = read_range(fd, 0, settings.head_bytes)
        head = head[: head.rfind(b"\n") + 1]
        tail_start = file.size - settings.max_jsonl_bytes
        tail = read_range(fd, tail_start, file.size)
        tail = tail[tail.find(b"\n") + 1:]
    finally:
        os.close(fd)
    conversation = replay_lines(iter_lines(head, settings.max_line_bytes))
    conversation.head_ids = frozenset(conversation.messages)
    replay_lines(iter_lines(tail, settings.max_line_bytes), conversation)
    return ParsedChat(conversation, True, file.size - len(head) - len(tail))
