"""Exact figures for large rollouts, built up a bounded number of bytes per listing.

A listing summarises a large rollout from windows (estimated counts); this module then
replays the whole file in counting mode (tool outputs are not decoded), about
``count_scan_bytes`` per listing, keeping the replay between listings: rollouts are
append-only, so when the file grows the replay resumes where it stopped. Once it reaches the
end the row's counts, title (after rewinds) and per-request usage are exact.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import IO

import orjson

from hermes_sessions_core.jsonl_windows import line_end_after, lines_in_range
from hermes_sessions_core.regular_files import open_regular

from .discovery import RolloutFile
from .parse import feed_lines, read_first_line
from .replay import Replay
from .settings import CodexSettings
from .summary import RolloutSummary, summary_from_replay

__all__ = ["CountState", "advance_counts", "exact_summary"]


@dataclass
class CountState:
    """A replay of one file up to ``offset`` (a line start), for the file ``inode``;
    ``settled_size``: the size at which what is left is a partial last line."""

    inode: int
    offset: int
    replay: Replay
    settled_size: int = -1

    def complete_for(self, file: RolloutFile) -> bool:
        return self.inode == file.inode and (
            self.offset >= file.size or self.settled_size == file.size)


def _last_line_start(handle: IO[bytes], lower: int, size: int) -> int:
    position = size
    while position > lower:
        step = min(1 << 20, position - lower)
        handle.seek(position - step)
        newline = handle.read(step).rfind(b"\n")
        if newline >= 0:
            return position - step + newline + 1
        position -= step
    return lower


def _is_record(data: bytes) -> bool:
    try:
        return isinstance(orjson.loads(data), dict)
    except orjson.JSONDecodeError:
        return False


def advance_counts(
    file: RolloutFile, state: CountState | None, budget: int, settings: CodexSettings
) -> tuple[CountState, int]:
    """Replay from where ``state`` stopped (the second line, when new), reading about
    ``budget`` bytes and ending at a line end. Returns the state and the bytes read. May raise
    OSError or NotARollout."""
    with open_regular(file.path) as handle:
        if state is None or state.inode != file.inode or state.offset > file.size:
            head = handle.read(min(file.size, settings.head_bytes))
            _meta, start = read_first_line(handle, file.size, head, settings.max_file_bytes)
            state = CountState(file.inode, start, Replay(keep_outputs=False))
        begin = state.offset
        end = min(file.size, begin + max(budget, 1))
        end = line_end_after(handle, end, file.size) if end < file.size else file.size
        if end == file.size and file.size > begin:
            handle.seek(file.size - 1)
            if handle.read(1) != b"\n":  # Codex is writing the last line, or it was cut
                last = _last_line_start(handle, begin, file.size)
                handle.seek(last)
                if not _is_record(handle.read(file.size - last)):
                    end = last
                    state.settled_size = file.size
        feed_lines(state.replay, lines_in_range(handle, begin, end))
    state.offset = end
    return state, end - begin


def exact_summary(file: RolloutFile, window: RolloutSummary, state: CountState) -> RolloutSummary:
    """The window summary's thread with the replay's exact counts, title and usage."""
    exact = summary_from_replay(file, window.meta, state.replay, truncated=window.truncated)
    return dataclasses.replace(exact, model=state.replay.model or window.model)
