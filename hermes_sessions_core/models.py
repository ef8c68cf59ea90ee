"""The session model, its on-disk shape (S1), and the typed records that cross the plugin boundary.

A :class:`Session` is the mutable working object the host appends messages to. Everything a
source hands to the core (rows, transcripts, listings, source descriptions, problems) is a
frozen record, so a caller can never alter a value a source has cached (S0.2).
"""

from __future__ import annotations

import copy
import functools
import logging
import math
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

from . import jsoncodec
from .errors import InvalidProjectId, InvalidSessionId, PartialSessionSaveError
from .merge import Snapshot, snapshot_of
from .problems import Problem
from .times import MAX_EPOCH, MIN_EPOCH, to_epoch

logger = logging.getLogger(__name__)

_Derived = TypeVar("_Derived")
_CONTAINERS = (list, dict)

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

#: Group 1 of a session file, in order (S1.4). Always written, null when unset.
METADATA_FIELDS: tuple[str, ...] = (
    "session_id", "title", "workspace", "model", "model_provider", "created_at", "updated_at",
    "pinned", "archived", "project_id", "profile",
    "input_tokens", "output_tokens", "estimated_cost",
    "personality", "active_stream_id",
    "pending_user_message", "pending_attachments", "pending_started_at",
    "compression_anchor_visible_idx", "compression_anchor_message_key",
    "compression_anchor_summary",
    "context_length", "threshold_tokens", "last_prompt_tokens",
    "gateway_routing", "gateway_routing_history", "llm_title_generated",
    "parent_session_id",
    "worktree_path", "worktree_branch", "worktree_repo_root", "worktree_created_at",
    "is_cli_session", "source_tag", "raw_source", "session_source", "source_label", "read_only",
    "enabled_toolsets", "composer_draft", "message_count",
)
_METADATA_SET = frozenset(METADATA_FIELDS)

#: Computed for rows, never written into a session file (S1.5).
ROW_ONLY_FIELDS: frozenset[str] = frozenset(
    {"is_streaming", "last_message_at", "user_message_count", "has_pending_user_message"}
)
MESSAGING_IDENTITY_FIELDS: tuple[str, ...] = (
    "user_id", "chat_id", "chat_type", "thread_id", "session_key", "platform",
)
_MESSAGING_SET = frozenset(MESSAGING_IDENTITY_FIELDS)
WORKTREE_FIELDS: tuple[str, ...] = (
    "worktree_path", "worktree_branch", "worktree_repo_root", "worktree_created_at",
)
_TRANSCRIPT_FIELDS = frozenset({"messages", "tool_calls"})
#: The flags of group 1 (S1.8): booleans in memory, in rows and in files.
_FLAG_FIELDS: tuple[str, ...] = (
    "pinned", "archived", "llm_title_generated", "is_cli_session", "read_only",
)
_NEVER_WRITTEN = ROW_ONLY_FIELDS | _TRANSCRIPT_FIELDS

# One pattern for S1.2: lowercase letters, digits, '_' and '-', not starting with '_'; at most
# 200 characters, so "<id>.json.bak" always fits a 255-byte file name.
MAX_SESSION_ID_LENGTH = 200
_SESSION_ID = re.compile(r"[0-9a-z-][0-9a-z_-]{0,%d}" % (MAX_SESSION_ID_LENGTH - 1))


# ── ids ──────────────────────────────────────────────────────────────────────────────────────


def new_session_id() -> str:
    """12 lowercase hex characters from a random UUID (S1.1)."""
    return uuid.uuid4().hex[:12]


def is_valid_session_id(session_id: object) -> bool:
    """The one id rule (S1.2): ``[0-9a-z_-]+``, not starting with ``_`` (store files), and
    short enough to be a file name."""
    return isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id) is not None


def require_valid_session_id(session_id: object) -> str:
    """Return the id, or raise :class:`InvalidSessionId` naming it (writes, S1.3)."""
    if not is_valid_session_id(session_id):
        raise InvalidSessionId(session_id)
    return session_id  # type: ignore[return-value]


# 1-64 characters of A-Za-z0-9_- (the original's ids are 12 hex digits).
_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def validate_project_id(project_id: object) -> str:
    """Return the id if it is 1-64 characters of ``A-Za-z0-9_-``, else raise InvalidProjectId."""
    if not isinstance(project_id, str) or _PROJECT_ID.fullmatch(project_id) is None:
        raise InvalidProjectId(project_id)
    return project_id


def is_cron_session(session_id: object, source_tag: object = None) -> bool:
    """``source_tag`` is ``cron`` or the id starts ``cron_``; empty values give False (S5.5)."""
    if source_tag == "cron":
        return True
    return str(session_id or "").startswith("cron_")


# ── messages ─────────────────────────────────────────────────────────────────────────────────


def message_timestamp(message: object) -> float | None:
    """A message's time: ``_ts`` preferred over ``timestamp`` (S1.10), as epoch seconds."""
    if not isinstance(message, dict):
        return None
    raw = message.get("_ts")
    if raw is None:
        raw = message.get("timestamp")
    return to_epoch(raw)


def last_message_timestamp(messages: object) -> float | None:
    """Time of the last non-``tool`` message that has a usable time (S1.14)."""
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "tool":
            continue
        stamp = message_timestamp(message)
        if stamp:
            return stamp
    return None


def count_user_messages(messages: object) -> int:
    """Messages whose role, trimmed and lower-cased, is ``user`` (S1.15)."""
    if not isinstance(messages, list):
        return 0
    return sum(
        1
        for message in messages
        if isinstance(message, dict) and str(message.get("role", "")).strip().lower() == "user"
    )


def title_from(messages: Iterable[Any], fallback: str = "Untitled") -> str:
    """The first non-empty user text, list parts joined by spaces, cut to 64 (S1.11)."""
    for message in messages:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content", "")
        if isinstance(content, list):
            content = " ".join(
                str(part.get("text", ""))
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
        text = str(content if content is not None else "").strip()
        if text:
            return text[:64]
    return fallback


# ── normalisation (S1.8): one rule per kind of field, see Session._initialise ──────────────

_TRUE_TEXT = frozenset({"true", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"false", "no", "off", "0", ""})
_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
#: Deepest nesting kept in a free-form value that rows carry (``gateway_routing``,
#: ``composer_draft``, ...): every index write encodes it, and the encoders give up near 254
#: (orjson) and 1000 (Python) levels, which would fail a whole listing for one file.
MAX_METADATA_DEPTH = 64


def to_flag(value: object) -> bool:
    """The boolean rule: ``true``, a non-zero number, or the text ``true``/``yes``/``on``/``1``
    (any case, stripped) is True; everything else is False (``"no"``, ``"0"``, ``null``,
    ``[1]``), so an odd value can never hide or pin a session. What the original wrote
    (real booleans) reads unchanged."""
    return _flag_or_none(value) is True


def _flag_or_none(value: object) -> bool | None:
    """True or False for the values the rule names; None for any other value (odd)."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE_TEXT:
            return True
        return False if text in _FALSE_TEXT else None
    if isinstance(value, (int, float)):
        return value == value and value != 0  # NaN is false
    return None


def _number_or_none(value: object) -> int | float | None:
    """A finite number, or numeric text as one (``"12"`` → 12); None for anything else."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[return-value]
    if kind is float:
        return value if math.isfinite(value) else None  # type: ignore[arg-type,return-value]
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 64 or _NUMBER_TEXT.fullmatch(text) is None:
            return None
        if "." not in text and "e" not in text.lower():
            return int(text)
        number = float(text)
        return number if math.isfinite(number) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return value if math.isfinite(number) else None
    return None


def _text_or_none(value: object) -> str | None:
    """Text as it is; a finite number as its text (``42`` → ``"42"``); None for the rest."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value) if math.isfinite(value) else None
        except (OverflowError, ValueError):  # integers too large for float or for text
            return None
    return None


def _epoch_or_none(value: object) -> int | float | None:
    """A number already in 1970-9999 as it is (an int stays an int, so files load unchanged);
    numeric or ISO text as epoch seconds; None for anything else (S0.1)."""
    kind = type(value)
    if (kind is float or kind is int) and MIN_EPOCH <= value <= MAX_EPOCH:  # type: ignore[operator]
        return value  # type: ignore[return-value]
    try:
        return to_epoch(value)
    except (OverflowError, ValueError):  # an integer too large for a float
        return None


def _nested_within(value: object, limit: int) -> bool:
    """Whether lists and dicts in ``value`` nest at most ``limit`` levels (walked without
    recursion, stopping at the first level too deep)."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:  # type: ignore[attr-defined]
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return False
                pending.append((child, depth + 1))
    return True


def _is_empty(value: object) -> bool:
    """Missing or falsy the way the original's ``value or default`` saw it (no odd report)."""
    if value is None or value is False:
        return True
    kind = type(value)
    if kind is str:
        return not value
    return (kind is int or kind is float) and value == 0


@functools.lru_cache(maxsize=256)
def _report_odd_value(session_id: str, name: str, shown: str, replacement: str) -> None:
    """Log an odd field value once per session, field and value (the cache remembers)."""
    logger.warning(
        "session %s: %s %s is not a valid value; read as %s (S1.8)",
        session_id, name, shown, replacement,
    )


def _odd(session_id: object, name: str, value: object, replacement: object) -> None:
    shown = f"{type(value).__name__} {_short_repr(value)}"
    _report_odd_value(str(session_id)[:80], name, shown, repr(replacement)[:40])


def _short_repr(value: object) -> str:
    """At most 40 characters of ``repr(value)``, for log lines about odd values."""
    if isinstance(value, (dict, list)):
        return f"of {len(value)} items"
    try:
        text = repr(value[:40] if isinstance(value, str) else value)
    except ValueError:  # an integer with more digits than Python will print
        return "too large to show"
    return text if len(text) <= 40 else text[:37] + "..."


# ── paths ────────────────────────────────────────────────────────────────────────────────────


@functools.lru_cache(maxsize=4096)
def _absolute_path(value: str) -> str:
    """``~`` expanded, symlinks resolved (S1.8); cached because workspaces repeat."""
    return os.path.realpath(os.path.expanduser(value))


def _absolute_path_or_none(value: object) -> str | None:
    """A usable path text made absolute; None for other values or a path the OS refuses
    (a NUL byte, a name too long)."""
    if not isinstance(value, (str, os.PathLike)):
        return None
    try:
        text = os.fspath(value)
        return _absolute_path(text) if isinstance(text, str) and text else None
    except (TypeError, ValueError, OSError):
        return None


# ── one rule per kind of field (the table is in Session._initialise) ────────────────────────


def _flag_field(session_id: str, name: str, value: object) -> bool:
    flag = _flag_or_none(value)
    if flag is None:
        _odd(session_id, name, value, False)
        return False
    return flag


def _text_field(session_id: str, name: str, value: object) -> str | None:
    if value is None or type(value) is str:
        return value
    text = _text_or_none(value)
    if text is None and not _is_empty(value):
        _odd(session_id, name, value, None)
    return text


def _number_field(
    session_id: str, name: str, value: object, missing: int | None
) -> int | float | None:
    if value is None or (type(value) is str and not value):
        return missing
    if type(value) is int:
        return value
    number = _number_or_none(value)
    if number is None:
        _odd(session_id, name, value, missing)
        return missing
    return number


def _time_field(
    session_id: str, name: str, value: object, missing: float | None
) -> int | float | None:
    if type(value) is float and MIN_EPOCH < value <= MAX_EPOCH:
        return value
    if _is_empty(value):
        return missing
    stamp = _epoch_or_none(value)
    if stamp is None:
        _odd(session_id, name, value, "now" if missing is not None else None)
        return missing
    return stamp


def _path_field(session_id: str, name: str, value: object) -> str | None:
    if _is_empty(value):
        return None
    path = _absolute_path_or_none(value)
    if path is None:
        _odd(session_id, name, value, None)
    return path


def _list_field(session_id: str, name: str, value: object, missing: list[Any]) -> list[Any]:
    if isinstance(value, list):
        return value
    if not _is_empty(value):
        _odd(session_id, name, value, missing)
    return missing


def _row_value_field(
    session_id: str, name: str, value: object, kind: type | tuple[type, ...], missing: Any
) -> Any:
    """A value of ``kind`` that rows carry, kept if it nests at most MAX_METADATA_DEPTH."""
    if isinstance(value, kind):
        if not value or not isinstance(value, (dict, list)):
            return value
        if _nested_within(value, MAX_METADATA_DEPTH):
            return value
    elif _is_empty(value):
        return missing
    _odd(session_id, name, value, missing)
    return missing


# ── the session ──────────────────────────────────────────────────────────────────────────────


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

        Attributes are set in the original's order, so ``vars(session)`` (which the Web UI
        exports as JSON) has the original's keys in the original's order, plus kept unknown
        fields (S1.7); runtime state lives in slots, outside ``__dict__``.

        NORMALISATION (S1.8), one rule per kind of field, for files, rows and constructors
        alike. Every value the original writes passes unchanged, and every value written here
        reads the same in the original. A value outside the rule is replaced by the field's
        empty value and logged once, never raised: one odd file must not fail a listing.

        - flags (pinned, archived, llm_title_generated, is_cli_session, read_only):
          :func:`to_flag`, so ``"no"``, ``"0"`` and odd values are False, not truthy.
        - title, session_id: text; a number becomes its text; else Untitled, a new id.
        - created_at, updated_at: a number in 1970-9999 as it is; numeric or ISO text as
          epoch seconds; missing, falsy or unusable (``"yesterday"``, NaN) becomes now.
          pending_started_at, worktree_created_at: the same, else null.
        - input_tokens, output_tokens: a finite number; numeric text as a number; else 0.
          estimated_cost, context_length, threshold_tokens, last_prompt_tokens,
          compression_anchor_visible_idx: the same, else null.
        - model, profile, personality, ids and other text fields: text (even empty) as it
          is; a number becomes its text; else null. model_provider: stripped, lower-cased,
          empty is null; project_id and worktree_branch: empty is null.
        - workspace, worktree_path, worktree_repo_root: a path, ``~`` expanded and symlinks
          resolved; else (not text, a NUL byte) the default workspace (S2.31), or null.
        - messages, tool_calls, pending_attachments, context_messages,
          gateway_routing_history: a list, else ``[]``; enabled_toolsets a list, else null;
          gateway_routing an object, else null; composer_draft an object, else ``{}``.
          Values rows carry (these and the messaging identity fields) nested deeper than
          :data:`MAX_METADATA_DEPTH` levels become that empty value.
        - every other field: kept as it is (S1.7). NaN and Infinity read from a file are
          null already (:mod:`~hermes_sessions_core.jsoncodec`) and are written as null.
        """
        pop = fields.pop
        self._partial = None
        self._store = None
        self._stored = None
        hints: dict[str, Any] = {}
        self._row_hints = hints
        values = self.__dict__
        session_id = _text_field("?", "session_id", pop("session_id", None)) or new_session_id()

        # One reader per kind of field (the rules above); each pops its field from ``fields``.
        # The common case (a value already of the right type) is decided inline: every load
        # and listing rebuild runs this for each session.
        def text(name: str) -> str | None:
            value = pop(name, None)
            return value if value is None or type(value) is str else _text_field(
                session_id, name, value
            )

        def flag(name: str) -> bool:
            value = pop(name, False)
            return value if type(value) is bool else _flag_field(session_id, name, value)

        def number(name: str, missing: int | None) -> int | float | None:
            return _number_field(session_id, name, pop(name, None), missing)

        def when(name: str, missing: float | None) -> int | float | None:
            return _time_field(session_id, name, pop(name, None), missing)

        def path(name: str) -> str | None:
            return _path_field(session_id, name, pop(name, None))

        def listed(name: str) -> list[Any]:
            return _list_field(session_id, name, pop(name, None), [])

        def carried(name: str, kind: type, missing: Any) -> Any:
            return _row_value_field(session_id, name, pop(name, None), kind, missing)

        values["session_id"] = session_id
        values["title"] = text("title") or "Untitled"
        default_workspace = pop("_default_workspace", None)
        values["workspace"] = self._normalise_workspace(path("workspace"), default_workspace)
        values["model"] = text("model")
        provider = text("model_provider")
        values["model_provider"] = (provider.strip().lower() or None) if provider else None
        values["messages"] = listed("messages")
        values["tool_calls"] = listed("tool_calls")
        now = time.time()
        values["created_at"] = when("created_at", now)
        values["updated_at"] = when("updated_at", now)
        values["pinned"] = flag("pinned")
        values["archived"] = flag("archived")
        values["project_id"] = text("project_id") or None
        values["profile"] = text("profile")
        values["input_tokens"] = number("input_tokens", 0)
        values["output_tokens"] = number("output_tokens", 0)
        values["estimated_cost"] = number("estimated_cost", None)
        for name in ("personality", "active_stream_id", "pending_user_message"):
            values[name] = text(name)
        values["pending_attachments"] = listed("pending_attachments")
        values["pending_started_at"] = when("pending_started_at", None)
        values["context_messages"] = listed("context_messages")
        values["compression_anchor_visible_idx"] = number("compression_anchor_visible_idx", None)
        values["compression_anchor_message_key"] = text("compression_anchor_message_key")
        values["compression_anchor_summary"] = text("compression_anchor_summary")
        for name in ("context_length", "threshold_tokens", "last_prompt_tokens"):
            values[name] = number(name, None)
        values["gateway_routing"] = carried("gateway_routing", dict, None)
        values["gateway_routing_history"] = carried("gateway_routing_history", list, [])
        values["llm_title_generated"] = flag("llm_title_generated")
        values["parent_session_id"] = text("parent_session_id")
        values["worktree_path"] = path("worktree_path")
        values["worktree_branch"] = text("worktree_branch") or None
        values["worktree_repo_root"] = path("worktree_repo_root")
        values["worktree_created_at"] = when("worktree_created_at", None)
        values["is_cli_session"] = flag("is_cli_session")
        for name in ("source_tag", "raw_source", "session_source", "source_label"):
            values[name] = text(name)
        values["read_only"] = flag("read_only")
        values["enabled_toolsets"] = carried("enabled_toolsets", list, None)
        values["composer_draft"] = carried("composer_draft", dict, {})
        # The recorded count is recomputed at save time (S1.6); drop the stale value.
        recorded_count = pop("message_count", None)
        if isinstance(recorded_count, int) and not isinstance(recorded_count, bool):
            hints["message_count"] = recorded_count
        # The original's name for the recorded count of a metadata-only object (never written).
        values["_metadata_message_count"] = None
        for name, value in fields.items():
            if name.startswith("_") or name in ROW_ONLY_FIELDS:
                continue
            if name in _MESSAGING_SET and isinstance(value, (dict, list)):
                value = _row_value_field(session_id, name, value, (dict, list), None)
            values[name] = value

    @staticmethod
    def _normalise_workspace(workspace: str | None, default_workspace: str | None) -> str:
        """``workspace`` (already absolute, or None), else the default workspace: never the
        process's working directory (S8.7)."""
        if workspace:
            return workspace
        if default_workspace is None:
            from .locations import Locations

            default_workspace = Locations.from_environment().default_workspace
        return _absolute_path_or_none(default_workspace) or str(default_workspace)

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
        for name in _FLAG_FIELDS:
            if type(record[name]) is not bool:
                record[name] = to_flag(record[name])
        if type(record["title"]) is not str:
            record["title"] = _text_or_none(record["title"]) or "Untitled"
        record["message_count"] = len(self.messages)
        record["messages"] = self.messages
        record["tool_calls"] = self.tool_calls
        for name, value in values.items():
            if name.startswith("_") or name in _METADATA_SET or name in _NEVER_WRITTEN:
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
            "title": title if type(title) is str else _text_or_none(title) or "Untitled",
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


# ── frozen records ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class SessionRow(Mapping[str, Any]):
    """One sidebar row (S1.12): a read-only mapping with typed accessors.

    Built with :meth:`adopt` from a dict nobody else holds, or with :meth:`kept` from one a
    source keeps and lists again; :meth:`to_dict` gives each caller a copy of its own, nested
    lists and dicts included.
    """

    fields: Mapping[str, Any]
    # What the sidebar derived from this row, and which keys hold containers: computed on
    # first use and kept, because a kept row is listed on every sidebar poll.
    _memo: Any = field(default=None, init=False, repr=False, compare=False)
    _nested: tuple[str, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _frozen: bool = field(default=False, init=False, repr=False, compare=False)

    @classmethod
    def adopt(cls, values: dict[str, Any]) -> SessionRow:
        """Wrap ``values`` without copying; the caller must not keep a reference to it."""
        return cls(MappingProxyType(values))

    @classmethod
    def kept(cls, values: dict[str, Any]) -> SessionRow:
        """Wrap a dict its source keeps and lists again, so the same row (and what the sidebar
        derived from it) serves every listing (S0.2).

        Its nested lists and dicts are replaced, in place, by tuples and read-only mappings
        of equal values (the same JSON), which no caller can change; :meth:`to_dict` gives
        them back as lists and dicts. The source must not change ``values`` afterwards.
        """
        nested = tuple([key for key, value in values.items() if type(value) in _CONTAINERS])
        for key in nested:
            values[key] = _read_only(values[key])
        row = cls(MappingProxyType(values))
        object.__setattr__(row, "_nested", nested)
        object.__setattr__(row, "_frozen", True)
        return row

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SessionRow:
        """Wrap a copy of ``values``."""
        return cls(MappingProxyType(dict(values)))

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        # Direct, not Mapping.get's try/except around __getitem__: the sidebar calls this a
        # dozen times per row.
        return self.fields.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    @property
    def session_id(self) -> str:
        return str(self.fields.get("session_id") or "")

    @property
    def source_tag(self) -> str | None:
        return self.fields.get("source_tag")

    @property
    def profile(self) -> str | None:
        return self.fields.get("profile")

    def sort_time(self) -> float:
        """``last_message_at`` else ``updated_at``, as a float (S6.5, S8.16)."""
        return (
            to_epoch(self.fields.get("last_message_at"))
            or to_epoch(self.fields.get("updated_at"))
            or 0.0
        )

    def replace(self, **changes: Any) -> SessionRow:
        """A new row with ``changes`` applied; keys set to ``...`` are removed."""
        values = self.to_dict() if self._frozen else _copied(self.fields)
        for key, value in changes.items():
            if value is ...:
                values.pop(key, None)
            else:
                values[key] = value
        return SessionRow(MappingProxyType(values))

    def memoized(self, compute: Callable[[SessionRow], _Derived]) -> _Derived:
        """``compute(self)``, computed once per row and kept (one function per row: the
        sidebar's facts), since the row cannot change."""
        memo = self._memo
        if memo is not None and memo[0] is compute:
            return memo[1]  # type: ignore[no-any-return]
        value = compute(self)
        object.__setattr__(self, "_memo", (compute, value))
        return value

    def to_dict(self) -> dict[str, Any]:
        """A copy for the caller, its lists and dicts copied too, so nothing the caller
        changes reaches a row a source keeps."""
        values = _copied(self.fields)
        nested = self._nested
        if self._frozen:
            for key in nested or ():
                values[key] = _thawed(values[key])
            return values
        if nested is None:
            nested = tuple([k for k, v in values.items() if type(v) in _CONTAINERS])
            object.__setattr__(self, "_nested", nested)
        for key in nested:
            value = values[key]
            values[key] = copy.deepcopy(value) if value else type(value)()
        return values


def _read_only(value: Any) -> Any:
    """Lists as tuples and dicts as read-only mappings, all the way down."""
    if type(value) is list:
        return tuple([_read_only(item) for item in value]) if value else ()
    if type(value) is dict:
        if not value:
            return _EMPTY_MAPPING  # most rows' composer_draft: one shared empty mapping
        return MappingProxyType({key: _read_only(item) for key, item in value.items()})
    return value


_EMPTY_MAPPING: Mapping[str, Any] = MappingProxyType({})


def _thawed(value: Any) -> Any:
    """What :func:`_read_only` made, as new lists and dicts."""
    if type(value) is tuple:
        return [_thawed(item) for item in value]
    if type(value) is MappingProxyType:
        return {key: _thawed(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Transcript:
    """A session's messages as one source read them.

    ``total_count`` counts every parsed message even when ``messages`` is a window (S4.17);
    ``truncated`` says the source read only part of the data. The message dicts are fresh
    objects owned by the caller.
    """

    session_id: str
    source: str
    messages: tuple[dict[str, Any], ...]
    total_count: int
    truncated: bool = False
    tool_calls: tuple[dict[str, Any], ...] = ()


#: The role of the Web UI's own store: saves go there, its rows win the sidebar merge (S6.2),
#: and other sources ask it which sessions it holds and which ids were deleted.
ROLE_WEBUI_STORE = "webui_store"
#: The role of the agent's store: its rows follow the host's "show agent sessions" switch.
ROLE_AGENT_STORE = "agent_store"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a source is: its name, label, whether it can write, and which ids it owns.

    ``id_prefixes`` lists prefixes whose ids only this source holds (``claude_code_``); a
    source without prefixes may hold any valid id and is asked in ``priority`` order
    (lower first; the writable Web UI store is 0). ``roles`` are the parts it plays for the
    core (:data:`ROLE_WEBUI_STORE`, :data:`ROLE_AGENT_STORE`): the core finds a role's source
    by capability, never by name, so a third-party store can take one.
    """

    name: str
    label: str
    writable: bool
    id_prefixes: tuple[str, ...] = ()
    priority: int = 100
    description: str = ""
    roles: frozenset[str] = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def owns_prefix(self, session_id: str) -> bool:
        return any(session_id.startswith(prefix) for prefix in self.id_prefixes)


@dataclass(frozen=True, slots=True)
class SourceListing:
    """One source's answer to a listing: its rows (after its own projection and limit) and
    the problems it met along the way (a skipped corrupt file, an unreadable database)."""

    source: str
    rows: tuple[SessionRow, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class SidebarListing:
    """The merged sidebar (S6): rows in display order, problems, rows hidden by profile, and
    CLI-classified rows left out by the cap on them (S6.10).

    ``row_sources`` names, for each row, the source that supplied it (the Web UI store when it
    holds the id, S6.2), so a caller can narrow the sidebar to one source without changing
    which row wins.
    """

    rows: tuple[SessionRow, ...]
    problems: tuple[Problem, ...] = ()
    other_profile_count: int = 0
    sources: tuple[str, ...] = field(default=())
    capped_cli_count: int = 0
    row_sources: tuple[str, ...] = field(default=())

    def as_dicts(self) -> list[dict[str, Any]]:
        return [row.to_dict() for row in self.rows]

    def rows_from(self, sources: Iterable[str]) -> tuple[SessionRow, ...]:
        """The rows, in order, that one of ``sources`` supplied."""
        wanted = frozenset(sources)
        return tuple(
            row for row, source in zip(self.rows, self.row_sources, strict=True)
            if source in wanted
        )


def _copied(fields: Mapping[str, Any]) -> dict[str, Any]:
    # A proxy's own copy() is a C-level dict copy, five times faster than dict(proxy).
    return fields.copy() if type(fields) is MappingProxyType else dict(fields)


def rows_from_dicts(values: Iterable[dict[str, Any]]) -> tuple[SessionRow, ...]:
    """Adopt freshly built dicts as rows."""
    return tuple(SessionRow.adopt(value) for value in values)

