"""What a sidebar row needs from one transcript, gathered while reading it (S4.6, S4.7, S4.14).

A :class:`FileSummary` is frozen, so the cache can hand the same object to every listing;
rows are built fresh from it each time (S0.2). What each record is (a conversation line, a
title record, a subagent's start, the first typed prompt) comes from :func:`.classify.classify`;
this module keeps the facts a row shows.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from hermes_sessions_core.times import MAX_EPOCH, MIN_EPOCH, to_epoch

from .classify import CONVERSATION_KINDS, Classified, RecordKind, classify, prompt_title
from .legacy import typed_records
from .titles import TitleEvidence, choose_title
from .tokens import TOKEN_FIELDS, TokenTally

__all__ = [
    "DEFAULT_MODEL",
    "MAX_BRANCH_CHARS",
    "MAX_MODEL_CHARS",
    "MAX_PATH_CHARS",
    "FileSummary",
    "SummaryBuilder",
    "record_epoch",
]

DEFAULT_MODEL = "claude-code"
SYNTHETIC_MODEL = "<synthetic>"
#: Row fields from records are capped (issue 13): a longer ``cwd`` is no usable path and is
#: passed over (a cut path would be a wrong one); branch and model names are cut.
MAX_PATH_CHARS = 4096
MAX_BRANCH_CHARS = 256
MAX_MODEL_CHARS = 256
# Kinds compared on every line; a module name is found faster than an Enum attribute (< 3.12).
_TITLE, _SIDECHAIN_START = RecordKind.TITLE, RecordKind.SIDECHAIN_START
_ASSISTANT = RecordKind.ASSISTANT


@dataclass(frozen=True, slots=True)
class FileSummary:
    """One transcript's row facts. ``estimated`` marks counts and tokens extrapolated from a
    head and tail window; ``truncated`` marks files above the size cap (S4.16)."""

    path: str
    session_id: str
    external_session_id: str
    mtime_ns: int
    size: int
    cwd: str | None
    git_branch: str | None
    first_at: float | None
    last_at: float | None
    title: str
    model: str
    message_count: int
    user_message_count: int
    tokens: tuple[int, int, int, int]
    inline_subagents: int = 0
    bad_lines: int = 0
    truncated: bool = False
    estimated: bool = False
    #: Usage per (day, model), one entry per response (``hermes_sessions_core.usage``);
    #: empty while counts are estimated.
    usage: tuple[dict[str, Any], ...] = ()

    def token_totals(self) -> dict[str, int]:
        return dict(zip(TOKEN_FIELDS, self.tokens))


def record_epoch(value: Any) -> float | None:
    """:func:`~hermes_sessions_core.times.to_epoch`, with a fast path for the
    ``2026-01-07T20:24:51.610Z`` form Claude Code writes on every record (same result)."""
    if (
        type(value) is str and len(value) > 19
        and value[-1] == "Z" and value[4] == "-" and value[10] == "T"
    ):
        try:
            number = _dt.datetime.fromisoformat(value[:-1] + "+00:00").timestamp()
        except (ValueError, OverflowError, OSError):
            return to_epoch(value)
        return number if MIN_EPOCH <= number <= MAX_EPOCH and math.isfinite(number) else None
    return to_epoch(value)


@dataclass
class SummaryBuilder:
    """Feed decoded records with :meth:`add`; :meth:`finish` builds the summary."""

    cwd: str | None = None
    git_branch: str | None = None
    first_at: float | None = None
    last_at: float | None = None
    model: str | None = None
    has_conversation: bool = False
    inline_subagents: int = 0
    titles: TitleEvidence = field(default_factory=TitleEvidence)
    tally: TokenTally = field(default_factory=TokenTally)
    uuids: set[str] = field(default_factory=set)
    want_prompt: bool = True
    #: False when the caller supplies the tokens to :meth:`finish` (window estimates).
    want_tokens: bool = True
    #: True once a record without ``type`` held a message (a legacy file, :mod:`.legacy`).
    saw_legacy: bool = False

    def add(self, record: dict[str, Any], classified: Classified | None = None) -> None:
        """Take one record's facts; ``classified`` is its :func:`.classify.classify`, when the
        caller already has it (a parse feeds the same record to the transcript). A row needs
        no user line's content beyond its first prompt, so none is read otherwise."""
        found = classify(record, read_content=False) if classified is None else classified
        # Time, working directory, branch and uuid: any line may carry them.
        stamp = record_epoch(record.get("timestamp"))
        if stamp is not None:
            if self.first_at is None:
                self.first_at = stamp
            self.last_at = stamp
        if self.cwd is None:
            cwd = record.get("cwd")
            if isinstance(cwd, str) and cwd.strip() and len(cwd) <= MAX_PATH_CHARS:
                self.cwd = cwd
        branch = record.get("gitBranch")
        if isinstance(branch, str) and branch.strip():
            self.git_branch = branch[:MAX_BRANCH_CHARS]
        uuid = record.get("uuid")
        if isinstance(uuid, str):
            self.uuids.add(uuid)
        kind = found.kind
        if kind is _TITLE or "slug" in record:
            self.titles.add_record(record)
        if kind in CONVERSATION_KINDS:
            self._add_conversation_line(record, found)
        elif kind is _SIDECHAIN_START:
            self.inline_subagents += 1
        elif kind is RecordKind.LEGACY or kind is RecordKind.LEGACY_SIDECHAIN:
            self._add_untyped(record)

    def _add_conversation_line(self, record: dict[str, Any], found: Classified) -> None:
        self.has_conversation = True
        if found.kind is _ASSISTANT:
            message = record.get("message")
            if isinstance(message, dict):
                model = message.get("model")
                if isinstance(model, str) and model and model != SYNTHETIC_MODEL:
                    self.model = model[:MAX_MODEL_CHARS]
            if self.want_tokens:
                self.tally.add(record)
        elif self.want_prompt and self.titles.first_prompt is None:
            text = prompt_title(record, found)
            if text:
                self.titles.first_prompt = text

    def _add_untyped(self, record: dict[str, Any]) -> None:
        self.titles.add_untyped(record)
        for typed in typed_records(record):
            self.saw_legacy = True
            self.add(typed)

    def finish(
        self,
        *,
        path: str,
        session_id: str,
        external_session_id: str,
        mtime_ns: int,
        size: int,
        message_count: int,
        user_message_count: int,
        bad_lines: int = 0,
        truncated: bool = False,
        estimated: bool = False,
        tokens: tuple[int, int, int, int] | None = None,
        has_uuid: Callable[[str], bool] | None = None,
    ) -> FileSummary:
        usage: tuple[dict[str, Any], ...] = ()
        if tokens is None:
            totals = self.tally.totals()
            tokens = tuple(totals[name] for name in TOKEN_FIELDS)  # type: ignore[assignment]
            usage = () if estimated else self.tally.usage_records()
        mtime = mtime_ns / 1e9
        return FileSummary(
            path=path,
            session_id=session_id,
            external_session_id=external_session_id,
            mtime_ns=mtime_ns,
            size=size,
            cwd=self.cwd,
            git_branch=self.git_branch,
            first_at=self.first_at if self.first_at is not None else (self.last_at or mtime),
            last_at=self.last_at if self.last_at is not None else (self.first_at or mtime),
            title=choose_title(self.titles, has_uuid or self.uuids.__contains__, bool(self.uuids)),
            model=self.model or DEFAULT_MODEL,
            message_count=message_count,
            user_message_count=user_message_count,
            tokens=tokens,  # type: ignore[arg-type]
            inline_subagents=self.inline_subagents,
            bad_lines=bad_lines,
            truncated=truncated,
            estimated=estimated,
            usage=usage,
        )
