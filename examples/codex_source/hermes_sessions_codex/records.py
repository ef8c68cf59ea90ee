"""One rollout line: what kind of record it is, read from its first bytes where possible.

Codex writes each line as ``{"timestamp":…,"type":…,"payload":{"type":…,"role":…`` so the
record kind is known from the line's head without parsing a 20 KB instruction block or a long
tool output. Lines written in another key order fall back to a full parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["RecordHead", "head_of", "message_kind", "parse_line", "INJECTED_PREFIXES"]

_HEAD = re.compile(
    rb'\{"timestamp":"(?P<ts>[^"]*)","type":"(?P<type>[a-z_]+)","payload":\{'
    rb'(?:"type":"(?P<sub>[a-z_]+)"(?:,"role":"(?P<role>[a-z]+)")?)?'
)

#: Text Codex injects as "user" messages that the person never typed.
INJECTED_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md", "<permissions")

_TOOL_CALLS = frozenset(
    {"function_call", "custom_tool_call", "web_search_call", "local_shell_call"}
)
_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})


@dataclass(frozen=True, slots=True)
class RecordHead:
    timestamp: str
    type: str
    subtype: str
    role: str


def parse_line(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: a line nested too deep to parse
        return None
    return record if isinstance(record, dict) else None


def head_of(line: bytes) -> RecordHead | None:
    """The record's time, type, payload type and role; ``None`` for a line that is not JSON."""
    match = _HEAD.match(line)
    if match is not None:
        return RecordHead(
            match["ts"].decode(), match["type"].decode(),
            (match["sub"] or b"").decode(), (match["role"] or b"").decode(),
        )
    record = parse_line(line)
    if record is None:
        return None
    payload = record.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    return RecordHead(
        str(record.get("timestamp") or ""), str(record.get("type") or ""),
        str(payload.get("type") or ""), str(payload.get("role") or ""),
    )


def message_kind(head: RecordHead) -> str | None:
    """Which transcript message a record becomes, if any.

    ``user`` (a typed prompt event), ``user_item`` (a user response item: used only for old
    rollouts without prompt events), ``assistant``, ``tool_call`` or ``tool_output``.
    """
    if head.type == "event_msg" and head.subtype == "user_message":
        return "user"
    if head.type != "response_item":
        return None
    if head.subtype == "message":
        if head.role == "assistant":
            return "assistant"
        if head.role == "user":
            return "user_item"
        return None
    if head.subtype in _TOOL_CALLS:
        return "tool_call"
    if head.subtype in _TOOL_OUTPUTS:
        return "tool_output"
    return None
