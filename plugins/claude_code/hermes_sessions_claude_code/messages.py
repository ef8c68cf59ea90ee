"""Claude Code records → displayed messages (S4.8-S4.13).

What each record is comes from :func:`.classify.classify`; this module only builds messages
from it. Split assistant lines merge by ``message.id`` within one turn, tool results become
``tool`` messages paired with their calls, thinking goes to ``reasoning``, images become a
placeholder, commands and notices are shown as the classifier read them (S8.24), and a
compaction is a divider carrying its summary.
"""

from __future__ import annotations

from typing import Any

import orjson

from hermes_sessions_core.times import to_epoch

from .blocks import block_text, image_placeholder
from .classify import (
    USER_CONTENT_KINDS,
    AssistantPart,
    Classified,
    RecordKind,
    assistant_part,
    classify,
    user_content,
)
from .legacy import typed_records

__all__ = ["COMPACTION_TEXT", "MessageBuilder"]

COMPACTION_TEXT = "Conversation compacted"
# Kinds compared on every line; a module name is found faster than an Enum attribute (< 3.12).
_ASSISTANT = RecordKind.ASSISTANT
_TEXT, _REASONING, _TOOL_CALL, _IMAGE = (
    AssistantPart.TEXT, AssistantPart.REASONING, AssistantPart.TOOL_CALL, AssistantPart.IMAGE
)


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return "{}"


class _Draft:
    """An assistant response being assembled from split lines."""

    __slots__ = ("timestamp", "model", "text", "reasoning", "tool_calls")

    def __init__(self, timestamp: float | None, model: Any) -> None:
        self.timestamp = timestamp
        self.model = model if isinstance(model, str) else None
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: list[dict[str, Any]] = []


class MessageBuilder:
    """Feed records in file order with :meth:`add`; :meth:`finish` returns the messages."""

    def __init__(self, max_content_chars: int = 200_000) -> None:
        self.max_chars = max_content_chars
        self._items: list[dict[str, Any] | _Draft] = []
        self._open: dict[str, int] = {}
        self._call_names: dict[str, str] = {}
        self._divider: dict[str, Any] | None = None

    # ── records ──────────────────────────────────────────────────────────────────────────

    def add(self, record: dict[str, Any], classified: Classified | None = None) -> None:
        """Take one record; ``classified`` is its :func:`.classify.classify`, when the caller
        already has it (a parse feeds the same record to the row summary)."""
        found = classify(record) if classified is None else classified
        kind = found.kind
        if kind is _ASSISTANT:
            self._add_assistant(record)
        elif kind in USER_CONTENT_KINDS:
            self._add_user_line(record, found)
        elif kind is RecordKind.COMPACT_SUMMARY:
            summary = block_text(user_content(record))
            self._attach_summary(summary, to_epoch(record.get("timestamp")))
        elif kind is RecordKind.COMPACT_BOUNDARY:
            self._add_divider(record)
        elif kind is RecordKind.LEGACY:
            for typed in typed_records(record):
                self.add(typed)

    def _cut(self, text: str) -> str:
        return text if len(text) <= self.max_chars else text[: self.max_chars]

    def _new_turn(self) -> None:
        self._open.clear()

    def _add_divider(self, record: dict[str, Any]) -> None:
        meta = record.get("compactMetadata")
        meta = meta if isinstance(meta, dict) else {}
        divider: dict[str, Any] = {
            "role": "system",
            "kind": "compaction",
            "content": COMPACTION_TEXT,
            "trigger": meta.get("trigger"),
            "pre_tokens": meta.get("preTokens"),
        }
        stamp = to_epoch(record.get("timestamp"))
        if stamp is not None:
            divider["timestamp"] = stamp
        self._items.append(divider)
        self._divider = divider
        self._new_turn()

    def _add_user_line(self, record: dict[str, Any], found: Classified) -> None:
        """Tool results first, then the text, as the classifier read the line."""
        stamp = to_epoch(record.get("timestamp"))
        for block in found.tool_results:
            self._add_tool_result(block, stamp)
        shown = found.text
        if shown is None:
            return
        message: dict[str, Any]
        if found.kind is RecordKind.NOTICE:
            message = {"role": "system", "kind": shown.kind, "content": shown.text}
        else:
            message = {"role": "user", "content": self._cut(shown.text)}
        if stamp is not None:
            message["timestamp"] = stamp
        self._items.append(message)
        self._new_turn()

    def _attach_summary(self, text: str, stamp: float | None) -> None:
        divider = self._divider
        if divider is None or "summary" in divider:
            divider = {"role": "system", "kind": "compaction", "content": COMPACTION_TEXT}
            if stamp is not None:
                divider["timestamp"] = stamp
            self._items.append(divider)
            self._divider = divider
        divider["summary"] = self._cut(text)
        self._new_turn()

    def _add_tool_result(self, block: dict[str, Any], stamp: float | None) -> None:
        call_id = block.get("tool_use_id")
        message: dict[str, Any] = {
            "role": "tool",
            "content": self._cut(block_text(block.get("content"))),
            "tool_call_id": call_id,
            "name": self._call_names.get(call_id) if isinstance(call_id, str) else None,
        }
        if block.get("is_error"):
            message["is_error"] = True
        if stamp is not None:
            message["timestamp"] = stamp
        self._items.append(message)

    def _add_assistant(self, record: dict[str, Any]) -> None:
        """Add the line's blocks to its response; blocks that show nothing are left out, and
        a response that keeps none is dropped by :meth:`finish` (S4.9)."""
        message = record.get("message")
        if not isinstance(message, dict):
            return
        draft = self._draft_for(record, message)
        content: Any = message.get("content")
        blocks: list[Any] = [content] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return
        for block in blocks:
            part = assistant_part(block)
            if part is _TEXT:
                draft.text.append(block if isinstance(block, str) else block["text"])
            elif part is _REASONING:
                draft.reasoning.append(block["thinking"])  # never the signature (S4.11)
            elif part is _TOOL_CALL:
                self._add_tool_call(draft, block)
            elif part is _IMAGE:
                draft.text.append(image_placeholder(block))

    def _draft_for(self, record: dict[str, Any], message: dict[str, Any]) -> _Draft:
        """The open response ``message.id`` names in this turn, else a new one: a line that
        shows nothing still opens it, so the response keeps its first line's time and model."""
        message_id = message.get("id")
        if isinstance(message_id, str) and message_id in self._open:
            found = self._items[self._open[message_id]]
            if isinstance(found, _Draft):
                return found
        draft = _Draft(to_epoch(record.get("timestamp")), message.get("model"))
        if isinstance(message_id, str):
            self._open[message_id] = len(self._items)
        self._items.append(draft)
        return draft

    def _add_tool_call(self, draft: _Draft, block: dict[str, Any]) -> None:
        call_id = block.get("id")
        name = block.get("name")
        draft.tool_calls.append({
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": _arguments(block.get("input", {}))},
        })
        if isinstance(call_id, str) and isinstance(name, str):
            self._call_names[call_id] = name

    # ── result ───────────────────────────────────────────────────────────────────────────

    def finish(self) -> list[dict[str, Any]]:
        """The messages, with empty assistant responses dropped (S4.9)."""
        messages: list[dict[str, Any]] = []
        for item in self._items:
            if not isinstance(item, _Draft):
                messages.append(item)
                continue
            if not (item.text or item.reasoning or item.tool_calls):
                continue
            message: dict[str, Any] = {
                "role": "assistant",
                "content": self._cut("\n".join(item.text)),
            }
            if item.timestamp is not None:
                message["timestamp"] = item.timestamp
            if item.model:
                message["model"] = item.model
            if item.reasoning:
                message["reasoning"] = self._cut("\n".join(item.reasoning))
            if item.tool_calls:
                message["tool_calls"] = item.tool_calls
            messages.append(message)
        return messages
