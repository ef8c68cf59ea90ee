"""Exact message, user-message and token counts kept as append-only running tallies.

A row's counts must match what opening the transcript shows (S4.14, S4.17), but a listing can
not afford to parse large files whole. Counts only ever grow as Claude Code appends lines, so
:class:`MessageCounter` reaches the same numbers as :class:`~.messages.MessageBuilder` (merged
split responses, tool results, dividers, hidden markup) without building any message, and its
state at a line boundary is a :class:`CountState` that the next read resumes from. What each
line is comes from :func:`.classify.classify`, as for the builder; only the turn state (open
responses, the last divider) is kept here. A grown
file is therefore read only from where the last count stopped; a file that shrank, was
replaced (another inode) or changed before that point is counted again from the start.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Literal

from .classify import USER_CONTENT_KINDS, Classified, RecordKind, assistant_shows, classify
from .legacy import typed_records
from .records import decode_line, open_regular
from .tokens import TOKEN_FIELDS, TokenTally

__all__ = ["MAX_LINE_BYTES", "CountState", "MessageCounter", "advance_counts", "edge_digest"]

_CHUNK = 1024 * 1024
_EDGE_BYTES = 64
#: Lines longer than this (the default tail window, S4.16) are never decoded.
MAX_LINE_BYTES = 10 * 1024 * 1024
_NO_DIVIDER, _OPEN_DIVIDER, _SUMMARISED_DIVIDER = 0, 1, 2
# Kinds compared on every line; a module name is found faster than an Enum attribute (< 3.12).
_ASSISTANT, _SIDECHAIN = RecordKind.ASSISTANT, RecordKind.SIDECHAIN
_PROMPT, _COMMAND = RecordKind.PROMPT, RecordKind.COMMAND
#: Whose responses a count tallies: the conversation's ``own`` (S4.14, the row's tokens),
#: ``all`` (a subagent's transcript, every line of it its own), or only the ``sidechain``
#: turns a 1.0.x transcript holds inline (its subagents').
Responses = Literal["own", "all", "sidechain"]


@dataclass(frozen=True, slots=True)
class CountState:
    """Counts of one file version, and where counting can resume.

    ``offset`` is a line boundary; ``edge`` digests the bytes just before it, and ``inode``
    names the file, so a resumed count notices a replaced or rewritten file. ``size`` is the
    size the totals describe: ``None`` while the count is still short of the file's end. The
    rest is the counter's state at ``offset`` (open responses of the current turn, the last
    divider, per-response usage) so appended lines count exactly as a whole parse would.
    """

    inode: int
    offset: int
    edge: str
    size: int | None
    message_count: int
    user_message_count: int
    tokens: tuple[int, int, int, int]
    base_messages: int
    base_users: int
    open_responses: tuple[tuple[str, bool], ...]
    divider: int
    #: ``(message id, request id, 4 token counts, timestamp, model)`` per response; states
    #: stored before the last two were kept have six items.
    usage: tuple[tuple[Any, ...], ...]

    def complete_for(self, inode: int, size: int) -> bool:
        """True when the totals describe exactly this file at this size."""
        return self.size == size and self.inode == inode

    def to_json(self) -> dict[str, Any]:
        return {
            "inode": self.inode, "offset": self.offset, "edge": self.edge, "size": self.size,
            "message_count": self.message_count, "user_message_count": self.user_message_count,
            "tokens": list(self.tokens), "base_messages": self.base_messages,
            "base_users": self.base_users,
            "open_responses": [list(item) for item in self.open_responses],
            "divider": self.divider, "usage": [list(item) for item in self.usage],
        }

    @classmethod
    def from_json(cls, value: Any) -> CountState | None:
        """The state stored by :meth:`to_json`, or None for anything malformed."""
        try:
            return cls(
                inode=int(value["inode"]), offset=int(value["offset"]), edge=str(value["edge"]),
                size=None if value["size"] is None else int(value["size"]),
                message_count=int(value["message_count"]),
                user_message_count=int(value["user_message_count"]),
                tokens=tuple(int(v) for v in value["tokens"][:4]),  # type: ignore[arg-type]
                base_messages=int(value["base_messages"]), base_users=int(value["base_users"]),
                open_responses=tuple((str(k), bool(v)) for k, v in value["open_responses"]),
                divider=int(value["divider"]),
                usage=tuple(_usage_item(item) for item in value["usage"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _usage_item(item: Any) -> tuple[Any, ...]:
    """One stored response's usage; a timestamp or model that is not text is unknown."""
    m, r, a, b, c, d, *when = item
    stamp, model = (when + [None, None])[:2]
    return (str(m), str(r), int(a), int(b), int(c), int(d),
            stamp if isinstance(stamp, str) else None, model if isinstance(model, str) else None)


def usage_records_of(state: CountState) -> tuple[dict[str, Any], ...]:
    """The per-day usage entries of a complete count (see ``TokenTally.usage_records``)."""
    tally = TokenTally()
    for message_id, request_id, a, b, c, d, stamp, model in (
        _usage_item(item) for item in state.usage
    ):
        tally.add_values((message_id, request_id), (a, b, c, d), (stamp, model))
    return tally.usage_records()


class MessageCounter:
    """Counts what :class:`~.messages.MessageBuilder` would emit, record by record.

    Both read each line through :func:`.classify.classify`; the turn rules that remain here
    (split responses count once, a summary joins its divider) mirror the builder's, which
    tests compare on every fixture and at every line boundary.
    """

    __slots__ = ("_divider", "_open", "messages", "responses", "tally", "users")

    def __init__(self, state: CountState | None = None, *, responses: Responses = "own") -> None:
        #: Whose responses the tally counts (see :data:`Responses`).
        self.responses = responses
        self.messages = state.base_messages if state else 0
        self.users = state.base_users if state else 0
        self._open: dict[str, bool] = dict(state.open_responses) if state else {}
        self._divider = state.divider if state else _NO_DIVIDER
        self.tally = TokenTally()
        if state:
            for message_id, request_id, a, b, c, d, stamp, model in (
                _usage_item(item) for item in state.usage
            ):
                self.tally.add_values((message_id, request_id), (a, b, c, d), (stamp, model))

    def add(self, record: dict[str, Any]) -> None:
        found = classify(record)
        kind = found.kind
        if kind is _ASSISTANT:
            if self.responses != "sidechain":
                self.tally.add(record)
            self._add_assistant(record)
        elif kind is _SIDECHAIN:
            if self.responses != "own" and record.get("type") == "assistant":
                self.tally.add(record)
        elif kind in USER_CONTENT_KINDS:
            self._add_user_line(found)
        elif kind is RecordKind.COMPACT_SUMMARY:
            if self._divider != _OPEN_DIVIDER:
                self.messages += 1  # a divider of its own
            self._divider = _SUMMARISED_DIVIDER
            self._open.clear()
        elif kind is RecordKind.COMPACT_BOUNDARY:
            self.messages += 1
            self._divider = _OPEN_DIVIDER
            self._open.clear()
        elif kind is RecordKind.LEGACY:
            for typed in typed_records(record):  # legacy shapes, as the builder reads them
                self.add(typed)

    def _add_user_line(self, found: Classified) -> None:
        """One tool message per result; the text, when shown, is a message and ends the turn."""
        self.messages += len(found.tool_results)
        if found.text is None:
            return
        self.messages += 1
        if found.kind is _PROMPT or found.kind is _COMMAND:
            self.users += 1
        self._open.clear()

    def _add_assistant(self, record: dict[str, Any]) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        message_id = message.get("id")
        key = message_id if isinstance(message_id, str) else None
        already_shown = self._open.get(key, False) if key is not None else False
        if key is not None and key not in self._open:
            self._open[key] = False
        if already_shown:
            return
        if assistant_shows(record):
            self.messages += 1
            if key is not None:
                self._open[key] = True

    def state(self, inode: int, offset: int, edge: str) -> CountState:
        """The resumable state at line boundary ``offset``, with totals for that size."""
        return CountState(
            inode=inode, offset=offset, edge=edge, size=offset,
            message_count=self.messages, user_message_count=self.users,
            tokens=self.totals(), base_messages=self.messages, base_users=self.users,
            open_responses=tuple(self._open.items()), divider=self._divider,
            usage=tuple(
                (m, r, *v, *self.tally.when((m, r))) for (m, r), v in self.tally.items()
            ),
        )

    def totals(self) -> tuple[int, int, int, int]:
        sums = self.tally.totals()
        return tuple(sums[name] for name in TOKEN_FIELDS)  # type: ignore[return-value]


def edge_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _edge_at(fd: int, offset: int) -> str:
    start = max(0, offset - _EDGE_BYTES)
    return edge_digest(os.pread(fd, offset - start, start))


def advance_counts(
    path: str, inode: int, size: int, state: CountState | None, budget: int,
    max_line_bytes: int = MAX_LINE_BYTES, *, responses: Responses = "own",
) -> tuple[CountState, int]:
    """Count ``path`` from where ``state`` stopped towards ``size``; returns the new state and
    the bytes read.

    At most about ``budget`` bytes are read (always whole lines, at least one); the state
    says ``size=None`` if the end was not reached. Starts over when ``state`` does not
    belong to this file any more. A line longer than ``max_line_bytes`` (the transcript's
    tail window) counts as nothing, as no transcript shows it; a line longer than one read is
    not buffered but read again once its end is known, so an overlong one is never held
    (issue 13). ``responses`` says whose responses the usage tally counts.
    Raises OSError if the file cannot be read.
    """
    with open_regular(path) as handle:
        fd = handle.fileno()
        if state is not None and not (
            state.inode == inode
            and state.offset <= size
            and _edge_at(fd, state.offset) == state.edge
        ):
            state = None
        if state is not None and state.size == size:
            return state, 0
        counter = MessageCounter(state, responses=responses)
        offset = state.offset if state else 0  # a line boundary: where ``pending`` starts
        start = offset
        stop = size if budget <= 0 else min(size, offset + max(budget, 1))
        handle.seek(offset)
        pending = b""
        long_line = False  # the line at ``offset`` is longer than one read: not buffered
        position = offset
        while position < size:
            block = handle.read(min(_CHUNK, size - position))
            if not block:
                break
            block_start = position
            position += len(block)
            if long_line:
                newline = block.find(b"\n")
                if newline < 0:
                    continue
                _count_line(counter, fd, offset, block_start + newline, max_line_bytes)
                long_line = False
                offset = block_start + newline + 1
                block = block[newline + 1:]
            data = pending + block if pending else block
            end = data.rfind(b"\n")
            if end < 0:
                pending = data
            else:
                for line in data[:end].split(b"\n"):
                    if len(line) <= max_line_bytes:
                        _count_record(counter, decode_line(line))
                offset += end + 1  # data starts at the previous offset
                pending = data[end + 1:]
            if len(pending) > _CHUNK:
                pending, long_line = b"", True
            if offset >= stop and position < size and not long_line:
                break
        edge = _edge_at(fd, offset)
        fragment = b""
        if position >= size:  # an unterminated last line
            if long_line:
                if size - offset <= max_line_bytes:
                    fragment = os.pread(fd, size - offset, offset).strip()
            else:
                fragment = pending.strip()
    resumable = counter.state(inode, offset, edge)
    if offset >= size or position >= size:
        record = decode_line(fragment) if fragment else None
        if record is None:
            return _with_size(resumable, size), position - start
        finished = MessageCounter(resumable, responses=responses)
        finished.add(record)
        return _with_totals(resumable, size, finished), position - start
    return _with_size(resumable, None), position - start


def _count_record(counter: MessageCounter, record: dict[str, Any] | None) -> None:
    if record is not None:
        counter.add(record)


def _count_line(counter: MessageCounter, fd: int, start: int, end: int, limit: int) -> None:
    """Count the line ``start``..``end`` read again from ``fd``, unless it is over ``limit``."""
    if end - start <= limit:
        _count_record(counter, decode_line(os.pread(fd, end - start, start)))


def _with_size(state: CountState, size: int | None) -> CountState:
    return CountState(
        state.inode, state.offset, state.edge, size, state.message_count,
        state.user_message_count, state.tokens, state.base_messages, state.base_users,
        state.open_responses, state.divider, state.usage,
    )


def _with_totals(state: CountState, size: int, counter: MessageCounter) -> CountState:
    return CountState(
        state.inode, state.offset, state.edge, size, counter.messages, counter.users,
        counter.totals(), state.base_messages, state.base_users, state.open_responses,
        state.divider, state.usage,
    )
