"""Claude Code records → displayed messages (S4.8-S4.13).

Only ``user``/``assistant`` records (also in the untyped legacy shapes of :mod:`.legacy`) and
compaction boundaries become messages. Split assistant lines merge by ``message.id`` within one
turn, tool results become ``tool`` messages paired with their calls, thinking goes to
``reasoning``, images become a placeholder, and harness markup is shown as commands and
notices or hidden (S8.24).
"""

from __future__ import annotations

from typing import Any

import orjson
from hermes_sessions_core.times import to_epoch

from .legacy import typed_records
from .markup import classify_user_text

__all__ = ["MessageBuilder", "image_placeholder", "block_text"]

COMPACTION_TEXT = "Conversation compacted"


def image_placeholder(block: dict[str, Any]) -> str:
    """``[image: <media type>]``: base64 never reaches messages or rows (S4.13)."""
    source = block.get("source")
    media = source.get("media_type") if isinstance(source, dict) else None
    return f"[image: {media or 'unknown'}]"


def block_text(content: Any) -> str:
    """Text of a tool result or summary: strings as they are, lists joined, never a repr."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return str(content)
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind == "image":
                parts.append(image_placeholder(block))
            elif isinstance(block.get("text"), str):
                parts.append(block["text"])
            elif kind == "document":
                parts.append("[document]")
    return "\n".join(parts)


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

    def add(self, record: dict[str, Any]) -> None:
        if record.get("isSidechain") is True:
            return  # 1.0.x subagent turns live inline; they are not this conversation (S4.2)
        kind = record.get("type")
        if kind in ("user", "human"):
            self._add_user(record)
        elif kind == "assistant":
            self._add_assistant(record)
        elif kind == "system" and record.get("subtype") == "compact_boundary":
            self._add_divider(record)
        elif kind is None:
            for typed in typed_records(record):  # legacy shapes (see :mod:`.legacy`)
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

    def _add_user(self, record: dict[str, Any]) -> None:
        message = record.get("message")
        content = message.get("content") if isinstance(message, dict) else record.get("content")
        stamp = to_epoch(record.get("timestamp"))
        if record.get("isCompactSummary") is True:
            self._attach_summary(block_text(content), stamp)
            return
        if record.get("isMeta") is True:
            return  # command expansions and caveats (S4.13)
        blocks = [content] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return
        texts: list[str] = []
        for block in blocks:
            if isinstance(block, str):
                texts.append(block)
                continue
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
            elif kind == "image":
                texts.append(image_placeholder(block))
            elif kind == "tool_result":
                self._add_tool_result(block, stamp)
        if texts:
            self._add_user_text("\n".join(texts), stamp)

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

    def _add_user_text(self, text: str, stamp: float | None) -> None:
        classified = classify_user_text(text)
        if classified.kind == "hidden":
            return
        if classified.kind in ("prompt", "command"):
            message: dict[str, Any] = {"role": "user", "content": self._cut(classified.text)}
        else:
            message = {"role": "system", "kind": classified.kind, "content": classified.text}
        if stamp is not None:
            message["timestamp"] = stamp
        self._items.append(message)
        self._new_turn()

    def _add_assistant(self, record: dict[str, Any]) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        message_id = message.get("id")
        draft: _Draft | None = None
        if isinstance(message_id, str) and message_id in self._open:
            found = self._items[self._open[message_id]]
            draft = found if isinstance(found, _Draft) else None
        if draft is None:
            draft = _Draft(to_epoch(record.get("timestamp")), message.get("model"))
            if isinstance(message_id, str):
                self._open[message_id] = len(self._items)
            self._items.append(draft)
        content = message.get("content")
        blocks = [content] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return
        for block in blocks:
            if isinstance(block, str):
                if block.strip():
                    draft.text.append(block)
                continue
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text":
                text = block.get("text")
                if isinstance(text, str) and text.strip():
                    draft.text.append(text)
            elif kind == "thinking":
                thought = block.get("thinking")
                if isinstance(thought, str) and thought.strip():
                    draft.reasoning.append(thought)  # never the signature (S4.11)
            elif kind == "tool_use":
                call_id = block.get("id")
                name = block.get("name")
                draft.tool_calls.append({
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": _arguments(block.get("input", {}))},
                })
                if isinstance(call_id, str) and isinstance(name, str):
                    self._call_names[call_id] = name
            elif kind == "image":
                draft.text.append(image_placeholder(block))

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
