"""Session files in the original Web UI's exact format, written without any plugin (S1.4)."""

from __future__ import annotations

import json
from typing import Any, Protocol

from ..models import METADATA_FIELDS

__all__ = ["chat", "original_record", "encode_original", "write_original_file"]


class _WritesBytes(Protocol):
    def write_bytes(self, name: str, data: bytes) -> None: ...


def chat(count: int, start: float = 1700000000.0) -> list[dict[str, Any]]:
    """``count`` alternating user/assistant messages with float timestamps."""
    roles = ("user", "assistant")
    return [
        {"role": roles[i % 2], "content": f"message {i}", "timestamp": start + i}
        for i in range(count)
    ]


def original_record(
    session_id: str, messages: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    """A session record in file order: group 1, ``messages``, ``tool_calls``, the rest (S1.4).

    Known metadata goes to group 1; anything else (``user_id``, ``last_usage``…) to group 3,
    as the original wrote it. ``message_count`` is recorded, as files written since #5854 have.
    """
    record: dict[str, Any] = {name: None for name in METADATA_FIELDS}
    record.update(
        session_id=session_id, title="Untitled", workspace="/tmp", model="gpt-test",
        created_at=1700000000.5, updated_at=1700000100.25, pinned=False, archived=False,
        profile="default", input_tokens=0, output_tokens=0, pending_attachments=[],
        gateway_routing_history=[], llm_title_generated=False, is_cli_session=False,
        read_only=False, composer_draft={}, message_count=len(messages),
    )
    extra = {key: value for key, value in fields.items() if key not in record}
    record.update({key: value for key, value in fields.items() if key in record})
    record["messages"] = messages
    record["tool_calls"] = []
    record["context_messages"] = []
    record.update(extra)
    return record


def encode_original(record: dict[str, Any]) -> bytes:
    """The bytes the original Web UI writes: ``json.dumps(indent=2, ensure_ascii=False)``."""
    return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")


def write_original_file(files: _WritesBytes, record: dict[str, Any]) -> str:
    """Write ``<id>.json`` as the original would; returns the file name."""
    name = f"{record['session_id']}.json"
    files.write_bytes(name, encode_original(record))
    return name
