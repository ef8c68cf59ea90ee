"""Reading one rollout: its first line (the thread), then its records, within bounds.

A full parse reads the whole file, up to ``max_file_bytes``; a larger file is read as its head
and its last ``max_file_bytes`` from the first full line, and marked truncated (a listing of a
large file reads only windows: :mod:`.window_scan`). Every read stops at the size seen by
``stat``, so a file that grows while being read is read as it was; a first line longer than
the head is never decoded (its fields are read from its first and last bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from hermes_sessions_core.jsonl_windows import line_end_after, lines_in_range
from hermes_sessions_core.regular_files import open_regular

from .discovery import RolloutFile
from .meta import ThreadMeta, meta_from_prefix, meta_from_record
from .records import LineHead, decode, head_of
from .replay import Replay
from .settings import CodexSettings
from .summary import NotARollout, RolloutSummary, summary_from_replay

__all__ = ["ParsedRollout", "parse_rollout", "read_first_line", "feed_lines"]

_META_TAIL = 8192


@dataclass
class ParsedRollout:
    summary: RolloutSummary
    messages: list[dict[str, Any]]


def read_first_line(
    handle: IO[bytes], size: int, head: bytes, max_bytes: int
) -> tuple[ThreadMeta, int]:
    """The thread's meta and where the second line starts; :class:`NotARollout` otherwise."""
    newline = head.find(b"\n")
    if newline >= 0 or len(head) >= size:
        line = head[: newline if newline >= 0 else len(head)]
        record = decode(line)
        if record is not None:
            end = newline + 1 if newline >= 0 else size
            if record.get("type") == "session_meta":
                return meta_from_record(record), end
            if "type" not in record and "id" in record and "timestamp" in record:
                return meta_from_record({"payload": record}), end  # rollouts of 2025's 0.1x
            raise NotARollout("the first line is not a Codex session_meta record")
    if not head.lstrip().startswith(b"{") or b'"type":"session_meta"' not in head[:4096]:
        raise NotARollout("the first line is not a readable Codex session_meta record")
    end = line_end_after(handle, len(head), min(size, max_bytes)) if newline < 0 else newline + 1
    handle.seek(max(0, end - _META_TAIL))
    suffix = handle.read(min(_META_TAIL, end))
    return meta_from_prefix(head, suffix), end


#: Record types that early (0.1x) rollouts wrote bare, without the ``response_item`` wrapper.
_BARE_ITEMS = frozenset({"message", "reasoning", "function_call", "function_call_output",
                         "local_shell_call", "custom_tool_call", "custom_tool_call_output",
                         "web_search_call"})


def feed_lines(replay: Replay, lines: Any) -> None:
    for _offset, line in lines:
        found = head_of(line)
        if found is None:
            replay.bad_lines += 1
            continue
        head, record = found
        if head.type == "session_meta":
            continue  # a fork copies its parent's records, meta included
        if head.type in _BARE_ITEMS and record is not None and "payload" not in record:
            role = record.get("role")
            head = LineHead(head.timestamp, "response_item", head.type,
                            role if isinstance(role, str) else "")
            record = {"payload": record}
        replay.add(head, line, record)


def parse_rollout(
    file: RolloutFile, settings: CodexSettings, *, keep_outputs: bool = True
) -> ParsedRollout:
    """Every record of the file (head and tail above the cap). May raise OSError."""
    with open_regular(file.path) as handle:  # never blocks on a FIFO swapped in
        size = file.size
        head = handle.read(min(size, settings.head_bytes))
        meta, start = read_first_line(handle, size, head, settings.max_file_bytes)
        replay = Replay(keep_outputs=keep_outputs, max_content_chars=settings.max_content_chars)
        truncated = size - start > settings.max_file_bytes
        if not truncated:
            feed_lines(replay, lines_in_range(handle, start, size))
        else:
            head_end = start + (head[start:].rfind(b"\n") + 1 if start < len(head) else 0)
            feed_lines(replay, lines_in_range(handle, start, max(start, head_end)))
            replay.notice("gap", "The middle of this long rollout was not read; showing its "
                          "start and its most recent part.")
            tail = line_end_after(handle, max(head_end, size - settings.max_file_bytes), size)
            feed_lines(replay, lines_in_range(handle, tail, size))
    messages = replay.finish()
    return ParsedRollout(summary_from_replay(file, meta, replay, truncated=truncated), messages)
