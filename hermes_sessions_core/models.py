"""The session model: :class:`Session`, the mutable working object the host appends messages to.

Its fields are read by the table in :mod:`~hermes_sessions_core.session_fields`; everything a
source hands to the core is a frozen record (:mod:`~hermes_sessions_core.rows`,
:mod:`~hermes_sessions_core.records`). The names those modules, :mod:`~.ids`,
:mod:`~.message_facts`, :mod:`~.field_groups` and :mod:`~.field_rules` define are re-exported
here, where plugins, the drop-in and hosts have always imported them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import jsoncodec
from .errors import PartialSessionSaveError
from .field_groups import (
    FLAG_FIELDS,
    MESSAGING_IDENTITY_FIELDS,
    METADATA_FIELDS,
    NEVER_WRITTEN,
    ROW_ONLY_FIELDS,
    WORKTREE_FIELDS,
)
from .field_rules import MAX_METADATA_DEPTH, text_or_none, to_flag
from .ids import (
    MAX_SESSION_ID_LENGTH as MAX_SESSION_ID_LENGTH,  # re-exported: json_fs imports it from here
)
from .ids import (
    is_cron_session,
    is_valid_session_id,
    new_session_id,
    require_valid_session_id,
    validate_project_id,
)
from .merge import Snapshot, snapshot_of
from .message_facts import (
    count_user_messages,
    last_message_timestamp,
    message_timestamp,
    title_from,
)
from .problems import Problem
from .records import (
    ROLE_AGENT_STORE,
    ROLE_WEBUI_STORE,
    SidebarListing,
    SourceInfo,
    SourceListing,
    Transcript,
)
from .rows import SessionRow, rows_from_dicts
from .session_fields import read_fields

__all__ = [
    "METADATA_FIELDS",
    "ROW_ONLY_FIELDS",
    "MESSAGING_IDENTITY_FIELDS",
    "WORKTREE_FIELDS",
    "Session",
    "StoredCopy",
    "SessionRow",
    "Transcript",
    "SourceInfo",
    "ROLE_WEBUI_STORE",
    "ROLE_AGENT_STORE",
    "SourceListing",
    "SidebarListing",
    "Problem",
    "rows_from_dicts",
    "new_session_id",
    "is_valid_session_id",
    "require_valid_session_id",
    "validate_project_id",
    "is_cron_session",
    "title_from",
    "message_timestamp",
    "last_message_timestamp",
    "count_user_messages",
    "to_flag",
    "MAX_METADATA_DEPTH",
]

_METADATA_SET = frozenset(METADATA_FIELDS)


@dataclass(frozen=True, slots=True)
class StoredCopy:
    """What a writable source held when a copy was loaded or last saved.

    ``version`` is the source's own token (a file's identity, an object's ETag); ``content``
    the stored bytes, the base of a merge (kept as the bytes already in hand, so remembering
    costs nothing per save; ``b""`` when nothing was stored yet); ``at`` is when.
    """

    version: Any
    content: bytes
    at: float

    def record(self) -> dict[str, Any]:
        """The stored session as ``Session.to_record()`` shapes it; ``{}`` if nothing was."""
        if not self.content:
            return {}
        decoded = jsoncodec.loads(self.content)
        if not isinstance(decoded, dict):
            return {}
        workspace = decoded.get("workspace")
        # Never the environment's default (nor, for an odd value, the working directory).
        fallback = workspace if isinstance(workspace, str) and workspace else os.sep
        return Session.from_record(decoded, default_workspace=fallback).to_record()

    def snapshot(self) -> Snapshot:
        """The stored content as a :class:`~hermes_sessions_core.merge.Snapshot`."""
        return snapshot_of(self.record())


class Session:
    """One conversation: metadata, displayed ``messages``, ``tool_calls`` and any other fields.

    Unknown fields passed to the constructor are kept as attributes and written back in file
    group 3 (S1.7). Attributes starting with ``_`` are runtime state and never written.
    ``save()`` works once a store has bound the session (:meth:`SessionStore.new_session`,
    :meth:`SessionStore.get`); it refuses partially loaded sessions (S2.15).
    """

    # Runtime state, kept out of __dict__ so vars(session) holds only the session's fields.
    __slots__ = ("_partial", "_store", "_row_hints", "_stored", "__dict__", "__weakref__")
    _partial: str | None
    _store: Any
    _row_hints: dict[str, Any]
    _stored: StoredCopy | None
    session_id: str
    title: str
    workspace: str
    model: str | None
    model_provider: str | None
    messages: list[Any]
    tool_calls: list[Any]
    created_at: Any
    updated_at: Any
    pinned: bool
    archived: bool
    project_id: str | None
    profile: str | None
    input_tokens: Any
    output_tokens: Any
    estimated_cost: Any
    personality: Any
    active_stream_id: str | None
    pending_user_message: str | None
    pending_attachments: list[Any]
    pending_started_at: Any
    compression_anchor_visible_idx: Any
    compression_anchor_message_key: Any
    compression_anchor_summary: Any
    context_length: Any
    threshold_tokens: Any
    last_prompt_tokens: Any
    gateway_routing: dict[str, Any] | None
    gateway_routing_history: list[Any]
    llm_title_generated: bool
    parent_session_id: str | None
    worktree_path: str | None
    worktree_branch: str | None
    worktree_repo_root: str | None
    worktree_created_at: Any
    is_cli_session: bool
    source_tag: str | None
    raw_source: str | None
    session_source: str | None
    source_label: str | None
    read_only: bool
    enabled_toolsets: Any
    composer_draft: dict[str, Any]
    context_messages: list[Any]

    def __init__(
        self,
        session_id: str | None = None,
        title: str | None = "Untitled",
        workspace: str | os.PathLike[str] | None = None,
        model: str | None = None,
        messages: list[Any] | None = None,
        tool_calls: list[Any] | None = None,
        created_at: Any = None,
        updated_at: Any = None,
        **fields: Any,
    ) -> None:
        fields.update(
            session_id=session_id, title=title, workspace=workspace, model=model,
            messages=messages, tool_calls=tool_calls, created_at=created_at,
            updated_at=updated_at,
        )
        self._initialise(fields)

    def _initialise(self, fields: dict[str, Any]) -> None:
        """Normalise ``fields`` into attributes; consumes the dict it is given.

        Each field is read by its kind in :data:`~hermes_sessions_core.session_fields.
        SESSION_FIELDS` (one rule of S1.8 per kind, for files, rows and constructors alike),
        in the original's order, so ``vars(session)`` (which the Web UI exports as JSON) has the
        original's keys in the original's order, plus kept unknown fields (S1.7); runtime state
        lives in slots, outside ``__dict__``.
        """
        self._partial = None
        self._store = None
        self._stored = None
        hints: dict[str, Any] = {}
        self._row_hints = hints
        read_fields(fields, self.__dict__, hints)

    # ── record conversion ────────────────────────────────────────────────────────────────

    @classmethod
    def from_record(
        cls, record: Mapping[str, Any], *, default_workspace: str | None = None
    ) -> Session:
        """Build a session from a decoded session file, keeping unknown fields (S1.7)."""
        fields = dict(record)  # decoded JSON: keys are already strings
        fields["_default_workspace"] = default_workspace
        session = cls.__new__(cls)
        session._initialise(fields)
        return session

    def to_record(self) -> dict[str, Any]:
        """The session file's object: group 1, ``messages``, ``tool_calls``, the rest (S1.4)."""
        values = self.__dict__
        record: dict[str, Any] = {}
        for name in METADATA_FIELDS:
            record[name] = values.get(name)
        # What the host assigned since construction is written by the same rule (S1.8), so the
        # original, which reads flags by truthiness, never sees "no" or a numeric title.
        for name in FLAG_FIELDS:
            if type(record[name]) is not bool:
                record[name] = to_flag(record[name])
        if type(record["title"]) is not str:
            record["title"] = text_or_none(record["title"]) or "Untitled"
        record["message_count"] = len(self.messages)
        record["messages"] = self.messages
        record["tool_calls"] = self.tool_calls
        for name, value in values.items():
            if name.startswith("_") or name in _METADATA_SET or name in NEVER_WRITTEN:
                continue
            record[name] = value
        return record

    # ── rows ─────────────────────────────────────────────────────────────────────────────

    @property
    def is_partial(self) -> bool:
        """True for metadata-only, tail-window or page loads: such objects cannot be saved."""
        return self._partial is not None

    def mark_partial(self, reason: str, **row_hints: Any) -> None:
        """Flag this object as a partial load; ``row_hints`` are recorded row values (S1.15)."""
        self._partial = reason
        self._row_hints.update({k: v for k, v in row_hints.items() if v is not None})
        if "message_count" in self._row_hints:
            self.__dict__["_metadata_message_count"] = self._row_hints["message_count"]

    @property
    def message_count(self) -> int:
        if self._partial is not None and "message_count" in self._row_hints:
            return int(self._row_hints["message_count"])
        return len(self.messages)

    def compact(
        self, include_runtime: bool = False, active_stream_ids: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """The sidebar row as a plain dict (S1.12-S1.16), the original's ``compact()``."""
        pending = bool(self.pending_user_message)
        partial = self._partial is not None
        hints = self._row_hints
        count = self.message_count
        if pending:
            count = max(count, 1)
        if partial and hints.get("last_message_at") is not None:
            last_at = hints["last_message_at"]
        else:
            last_at = last_message_timestamp(self.messages) or self.updated_at
        if pending and self.pending_started_at:
            last_at = self.pending_started_at
        if partial:
            user_count = hints.get("user_message_count")
        else:
            user_count = count_user_messages(self.messages)
        streaming = False
        if include_runtime and self.active_stream_id:
            live = active_stream_ids if active_stream_ids is not None else ()
            streaming = self.active_stream_id in live
        get = self.__dict__.get
        title = self.title
        row: dict[str, Any] = {
            "session_id": self.session_id,
            "title": title if type(title) is str else text_or_none(title) or "Untitled",
            "workspace": self.workspace,
            "model": get("model"),
            "model_provider": get("model_provider"),
            "message_count": count,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_message_at": last_at,
            "pinned": to_flag(get("pinned")),
            "archived": to_flag(get("archived")),
            "project_id": get("project_id"),
            "profile": get("profile"),
            "input_tokens": get("input_tokens", 0),
            "output_tokens": get("output_tokens", 0),
            "estimated_cost": get("estimated_cost"),
            "personality": get("personality"),
            "compression_anchor_visible_idx": get("compression_anchor_visible_idx"),
            "compression_anchor_message_key": get("compression_anchor_message_key"),
            "compression_anchor_summary": get("compression_anchor_summary"),
            "context_length": get("context_length"),
            "threshold_tokens": get("threshold_tokens"),
            "last_prompt_tokens": get("last_prompt_tokens"),
            "gateway_routing": get("gateway_routing"),
            "gateway_routing_history": get("gateway_routing_history"),
        }
        if get("parent_session_id"):
            row["parent_session_id"] = get("parent_session_id")
        if get("worktree_path"):
            for name in WORKTREE_FIELDS:
                row[name] = get(name)
        row["user_message_count"] = user_count
        row["active_stream_id"] = get("active_stream_id")
        row["pending_user_message"] = get("pending_user_message")
        row["has_pending_user_message"] = pending
        row["is_cli_session"] = to_flag(get("is_cli_session"))
        for name in ("source_tag", "raw_source", "session_source", "source_label"):
            row[name] = get(name)
        row["read_only"] = to_flag(get("read_only"))
        row["enabled_toolsets"] = get("enabled_toolsets")
        draft = get("composer_draft")
        row["composer_draft"] = draft if isinstance(draft, dict) else {}
        row["is_streaming"] = streaming
        for name in MESSAGING_IDENTITY_FIELDS:
            if get(name) is not None:
                row[name] = get(name)
        return row

    def to_row(self, active_stream_ids: Iterable[str] | None = None) -> SessionRow:
        """The sidebar row as a frozen record, with ``is_streaming`` from the live streams."""
        return SessionRow.adopt(
            self.compact(include_runtime=active_stream_ids is not None,
                         active_stream_ids=active_stream_ids)
        )

    def declare_shrink(self) -> int:
        """Record a deliberate shrink (clear, truncate, retry, undo) before saving it.

        Raises ``intentional_shrink_generation`` so recovery never restores a backup taken
        before the shrink, which would bring deleted messages back (S2.20, S8.5).
        """
        current = self.__dict__.get("intentional_shrink_generation")
        previous = current if isinstance(current, int) and not isinstance(current, bool) else 0
        generation = previous + 1
        self.intentional_shrink_generation = generation
        return generation

    # ── the stored copy it came from ────────────────────────────────────────────────────

    @property
    def stored_copy(self) -> StoredCopy | None:
        """The stored version this copy was loaded as or last saved as; ``None`` for a copy
        built in memory, which a save writes as the whole session."""
        return self._stored

    def remember_stored(self, version: Any, content: bytes = b"") -> None:
        """For writable sources: this copy now matches stored ``version``, whose bytes are
        ``content`` (``b""``: nothing is stored yet)."""
        self._stored = StoredCopy(version, content, time.time())

    def forget_stored(self) -> None:
        """Treat this copy as built in memory again (its stored version is unknown)."""
        self._stored = None

    def unchanged_since_stored(self) -> bool:
        """Whether this copy still holds what it was loaded or saved as (``updated_at`` aside)."""
        stored = self._stored
        return stored is not None and stored.snapshot().matches(self.to_record())

    def adopt_record(self, record: Mapping[str, Any]) -> None:
        """Take ``record``'s content (a merge result) in place, keeping the runtime state and
        the very list objects, so every holder of this copy sees the result."""
        messages, tool_calls = self.messages, self.tool_calls
        partial, store, stored, hints = self._partial, self._store, self._stored, self._row_hints
        fields = dict(record)
        fields["_default_workspace"] = self.workspace
        self.__dict__.clear()
        self._initialise(fields)
        messages[:] = self.messages
        tool_calls[:] = self.tool_calls
        self.__dict__["messages"] = messages
        self.__dict__["tool_calls"] = tool_calls
        self._partial, self._store, self._stored = partial, store, stored
        self._row_hints.update(hints)

    def take_stored(self, fresh: Session) -> None:
        """Become ``fresh``, a newer load of this session, in place (content and version)."""
        self.adopt_record(fresh.to_record())
        self._stored = fresh._stored

    # ── persistence through the bound store ─────────────────────────────────────────────

    def bind(self, store: Any) -> Session:
        """Attach the store that :meth:`save` writes through."""
        self._store = store
        return self

    def save(self, touch_updated_at: bool = True, skip_index: bool = False) -> None:
        """Save through the bound store (S2.6); partial loads are refused first (S2.15)."""
        if self._partial is not None:
            raise PartialSessionSaveError(self.session_id)
        if self._store is None:
            raise RuntimeError(
                f"session {self.session_id!r} is not bound to a store: create or load it "
                "through SessionStore, or call store.save(session)"
            )
        self._store.save(self, touch_updated_at=touch_updated_at, skip_index=skip_index)

    def __repr__(self) -> str:
        partial = f", partial={self._partial!r}" if self._partial else ""
        return (
            f"Session(session_id={self.session_id!r}, title={self.title!r}, "
            f"messages={len(self.messages)}{partial})"
        )
