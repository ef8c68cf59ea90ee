"""The Session's fields in one table: each field's name, in attribute order, with its kind.

A kind is one rule of S1.8 with the value a missing or odd field takes (see
:mod:`~hermes_sessions_core.field_rules`). :func:`read_fields` walks the table in order, so
``vars(session)`` (which the Web UI exports as JSON) has the original's keys in the
original's order, then the kept fields the table does not name (S1.7).

Every load and listing rebuild reads each session's fields, so the table is compiled once, at
import, into (name, missing, unchanged types, reader): a value already of an unchanged type is
stored without a call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from .field_groups import MESSAGING_IDENTITY_FIELDS, ROW_ONLY_FIELDS
from .field_rules import (
    absolute_path_or_none,
    flag_field,
    list_field,
    number_field,
    path_field,
    row_value_field,
    text_field,
    time_field,
)
from .ids import new_session_id

__all__ = [
    "FieldKind",
    "FieldReading",
    "SESSION_FIELDS",
    "read_fields",
    "SESSION_ID",
    "TITLE",
    "TEXT",
    "TEXT_EMPTY_NULL",
    "PROVIDER",
    "FLAG",
    "TIME_ELSE_NOW",
    "TIME",
    "COUNT",
    "NUMBER",
    "WORKSPACE",
    "PATH",
    "LIST",
    "CARRIED_LIST",
    "CARRIED_LIST_OR_NULL",
    "CARRIED_OBJECT",
    "CARRIED_OBJECT_OR_NULL",
    "RECORDED_COUNT",
    "ALWAYS_NULL",
    "KEPT",
]


class FieldReading:
    """What the kinds need beyond the value, for one session's fields: its id (for odd-value
    reports), the time that stands for "now", the default workspace and the row hints."""

    __slots__ = ("session_id", "now", "default_workspace", "hints")

    def __init__(self, default_workspace: str | None, hints: dict[str, Any]) -> None:
        self.session_id = "?"  # until the session_id field is read
        self.now = time.time()
        self.default_workspace = default_workspace
        self.hints = hints


Reader = Callable[[FieldReading, str, Any], Any]


@dataclass(frozen=True, slots=True)
class FieldKind:
    """One rule of S1.8 for a kind of field: ``read`` gives the normalised value (odd values
    logged). A value whose type is in ``unchanged`` is kept as it is without calling ``read``;
    an absent field reads as ``missing`` when that is a constant (``read`` computes the other
    missing values: now, a new list). A kind that is not an ``attribute`` records a row hint
    instead of setting the field."""

    rule: str
    read: Reader
    unchanged: tuple[type, ...] = ()
    missing: Any = None
    attribute: bool = True


_NULL = type(None)
_MESSAGING_SET = frozenset(MESSAGING_IDENTITY_FIELDS)


# ── the readers, one per kind ────────────────────────────────────────────────────────────────


def _session_id(reading: FieldReading, name: str, value: Any) -> str:
    session_id = text_field(reading.session_id, name, value) or new_session_id()
    reading.session_id = session_id
    return session_id


def _title(reading: FieldReading, name: str, value: Any) -> str:
    return text_field(reading.session_id, name, value) or "Untitled"


def _text(reading: FieldReading, name: str, value: Any) -> str | None:
    return text_field(reading.session_id, name, value)


def _text_empty_null(reading: FieldReading, name: str, value: Any) -> str | None:
    return text_field(reading.session_id, name, value) or None


def _provider(reading: FieldReading, name: str, value: Any) -> str | None:
    provider = text_field(reading.session_id, name, value)
    return (provider.strip().lower() or None) if provider else None


def _flag(reading: FieldReading, name: str, value: Any) -> bool:
    return flag_field(reading.session_id, name, value)


def _time_else_now(reading: FieldReading, name: str, value: Any) -> int | float | None:
    return time_field(reading.session_id, name, value, reading.now)


def _time_else_null(reading: FieldReading, name: str, value: Any) -> int | float | None:
    return time_field(reading.session_id, name, value, None)


def _count(reading: FieldReading, name: str, value: Any) -> int | float | None:
    return number_field(reading.session_id, name, value, 0)


def _number(reading: FieldReading, name: str, value: Any) -> int | float | None:
    return number_field(reading.session_id, name, value, None)


def _workspace(reading: FieldReading, name: str, value: Any) -> str:
    """The path, else the default workspace: never the process's working directory (S8.7)."""
    workspace = path_field(reading.session_id, name, value)
    if workspace:
        return workspace
    default = reading.default_workspace
    if default is None:
        from .locations import Locations

        default = Locations.from_environment().default_workspace
    return absolute_path_or_none(default) or str(default)


def _path(reading: FieldReading, name: str, value: Any) -> str | None:
    return path_field(reading.session_id, name, value)


def _list(reading: FieldReading, name: str, value: Any) -> list[Any]:
    return list_field(reading.session_id, name, value, [])


def _carried_list(reading: FieldReading, name: str, value: Any) -> Any:
    return row_value_field(reading.session_id, name, value, list, [])


def _carried_list_or_null(reading: FieldReading, name: str, value: Any) -> Any:
    return row_value_field(reading.session_id, name, value, list, None)


def _carried_object(reading: FieldReading, name: str, value: Any) -> Any:
    return row_value_field(reading.session_id, name, value, dict, {})


def _carried_object_or_null(
    reading: FieldReading, name: str, value: Any
) -> Any:
    return row_value_field(reading.session_id, name, value, dict, None)


def _recorded_count(reading: FieldReading, name: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        reading.hints[name] = value


def _always_null(reading: FieldReading, name: str, value: Any) -> None:
    return None


def _kept(reading: FieldReading, name: str, value: Any) -> Any:
    if name in _MESSAGING_SET and isinstance(value, (dict, list)):
        return row_value_field(reading.session_id, name, value, (dict, list), None)
    return value


# ── the kinds (S1.8) ─────────────────────────────────────────────────────────────────────────

SESSION_ID = FieldKind("text; a number becomes its text; else a new id", _session_id)
TITLE = FieldKind("text; a number becomes its text; else (empty too) Untitled", _title)
TEXT = FieldKind(
    "text (even empty) as it is; a number becomes its text; else null",
    _text, unchanged=(str, _NULL),
)
TEXT_EMPTY_NULL = FieldKind("as TEXT, but empty is null", _text_empty_null, unchanged=(_NULL,))
PROVIDER = FieldKind(
    "as TEXT, stripped and lower-cased; empty is null", _provider, unchanged=(_NULL,)
)
FLAG = FieldKind(
    "to_flag(): true, a non-zero number or true/yes/on/1 text is True; else False",
    _flag, unchanged=(bool,), missing=False,
)
TIME_ELSE_NOW = FieldKind(
    "a number in 1970-9999 as it is; numeric or ISO text as epoch seconds; else now",
    _time_else_now,
)
TIME = FieldKind("as TIME_ELSE_NOW, but else null", _time_else_null, unchanged=(_NULL,))
COUNT = FieldKind(
    "a finite number; numeric text as a number; else 0",
    _count, unchanged=(int,), missing=0,
)
NUMBER = FieldKind("as COUNT, but else null", _number, unchanged=(int, _NULL))
WORKSPACE = FieldKind(
    "a path, ~ expanded and symlinks resolved; else the default workspace (S2.31)", _workspace
)
PATH = FieldKind("as WORKSPACE, but else null", _path, unchanged=(_NULL,))
LIST = FieldKind("a list, else []", _list, unchanged=(list,))
CARRIED_LIST = FieldKind(
    "a list nested at most MAX_METADATA_DEPTH levels (rows carry it), else []", _carried_list
)
CARRIED_LIST_OR_NULL = FieldKind(
    "as CARRIED_LIST, but else null", _carried_list_or_null, unchanged=(_NULL,)
)
CARRIED_OBJECT = FieldKind("an object nested as CARRIED_LIST, else {}", _carried_object)
CARRIED_OBJECT_OR_NULL = FieldKind(
    "as CARRIED_OBJECT, but else null", _carried_object_or_null, unchanged=(_NULL,)
)
RECORDED_COUNT = FieldKind(
    "an integer kept as a row hint, never an attribute: saves recompute it (S1.6)",
    _recorded_count, attribute=False,
)
ALWAYS_NULL = FieldKind(
    "null: the original's name for a metadata-only object's recorded count (never written)",
    _always_null, unchanged=(_NULL,),
)
#: Every field the table does not name (S1.7), except ``_``-prefixed runtime names and row-only
#: facts. NaN and Infinity read from a file are null already (:mod:`.jsoncodec`).
KEPT = FieldKind(
    "as it is; a messaging identity value (rows carry it) nested as CARRIED_LIST, else null",
    _kept,
)

#: The Session's fields in attribute order (the original's), each with its kind. session_id
#: comes first: odd values of the others are reported under it.
SESSION_FIELDS: tuple[tuple[str, FieldKind], ...] = (
    ("session_id", SESSION_ID),
    ("title", TITLE),
    ("workspace", WORKSPACE),
    ("model", TEXT),
    ("model_provider", PROVIDER),
    ("messages", LIST),
    ("tool_calls", LIST),
    ("created_at", TIME_ELSE_NOW),
    ("updated_at", TIME_ELSE_NOW),
    ("pinned", FLAG),
    ("archived", FLAG),
    ("project_id", TEXT_EMPTY_NULL),
    ("profile", TEXT),
    ("input_tokens", COUNT),
    ("output_tokens", COUNT),
    ("estimated_cost", NUMBER),
    ("personality", TEXT),
    ("active_stream_id", TEXT),
    ("pending_user_message", TEXT),
    ("pending_attachments", LIST),
    ("pending_started_at", TIME),
    ("context_messages", LIST),
    ("compression_anchor_visible_idx", NUMBER),
    ("compression_anchor_message_key", TEXT),
    ("compression_anchor_summary", TEXT),
    ("context_length", NUMBER),
    ("threshold_tokens", NUMBER),
    ("last_prompt_tokens", NUMBER),
    ("gateway_routing", CARRIED_OBJECT_OR_NULL),
    ("gateway_routing_history", CARRIED_LIST),
    ("llm_title_generated", FLAG),
    ("parent_session_id", TEXT),
    ("worktree_path", PATH),
    ("worktree_branch", TEXT_EMPTY_NULL),
    ("worktree_repo_root", PATH),
    ("worktree_created_at", TIME),
    ("is_cli_session", FLAG),
    ("source_tag", TEXT),
    ("raw_source", TEXT),
    ("session_source", TEXT),
    ("source_label", TEXT),
    ("read_only", FLAG),
    ("enabled_toolsets", CARRIED_LIST_OR_NULL),
    ("composer_draft", CARRIED_OBJECT),
    ("message_count", RECORDED_COUNT),
    ("_metadata_message_count", ALWAYS_NULL),
)

_ATTRIBUTES: tuple[tuple[str, Any, tuple[type, ...], Reader], ...] = tuple(
    (name, kind.missing, kind.unchanged, kind.read)
    for name, kind in SESSION_FIELDS
    if kind.attribute
)
_HINTS: tuple[tuple[str, Reader], ...] = tuple(
    (name, kind.read) for name, kind in SESSION_FIELDS if not kind.attribute
)


def read_fields(fields: dict[str, Any], values: dict[str, Any], hints: dict[str, Any]) -> None:
    """Normalise ``fields`` into ``values`` (a session's ``__dict__``) by the table, then the
    kept fields; recorded row facts go to ``hints``. Consumes ``fields``; its
    ``_default_workspace`` entry, if any, is the workspace's default."""
    pop = fields.pop
    reading = FieldReading(pop("_default_workspace", None), hints)
    for name, missing, unchanged, read in _ATTRIBUTES:
        value = pop(name, missing)
        values[name] = value if type(value) in unchanged else read(reading, name, value)
    for name, read in _HINTS:
        read(reading, name, pop(name, None))
    keep = KEPT.read
    for name, value in fields.items():
        if name.startswith("_") or name in ROW_ONLY_FIELDS:
            continue
        values[name] = keep(reading, name, value) if name in _MESSAGING_SET else value
