"""One chat as Gemini CLI would load it: the session record and its messages, in order.

A ``.json`` chat is one object holding both. A ``.jsonl`` chat is replayed line by line, as
Gemini's own loader does: the first line is the session record; ``{"$set": {…}}`` patches it;
a message line whose ``id`` was seen before replaces that message in place (the last copy
wins, the first appearance fixes the order); ``{"$rewindTo": id}`` drops that message and
everything after it (an unknown id drops them all), so what the user undid is never shown as
said; a ``$set`` carrying a whole ``messages`` list is a checkpoint that replaces the list at
that point of the file (messages appended after it still count; Gemini's own loader
prefers the last checkpoint outright, which would lose them). Lines that are not JSON objects
are counted as bad and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson

__all__ = ["Conversation", "replay_lines", "from_document", "decode_line"]

MESSAGE_TYPES = frozenset({"user", "gemini", "info", "warning", "error"})


def decode_line(line: bytes) -> Any:
    """A JSON value, or None for blank, malformed or too deeply nested lines."""
    line = line.strip()
    if not line:
        return None
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return orjson.loads(line.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:
            return None


@dataclass
class Conversation:
    """The session record (``header``) and ``messages`` by id, in conversation order."""

    header: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_lines: int = 0
    rewinds: int = 0
    anonymous: int = 0
    #: Set when the middle of the file was not read: the ids its head held. A rewind to an
    #: id not seen then names a message of the unread middle, so it keeps the head.
    head_ids: frozenset[str] | None = None

    @property
    def session_id(self) -> str | None:
        value = self.header.get("sessionId")
        return value if isinstance(value, str) and value else None

    @property
    def kind(self) -> str:
        value = self.header.get("kind")
        return value if isinstance(value, str) else "main"

    def ordered(self) -> list[dict[str, Any]]:
        return list(self.messages.values())

    # ── replay ──────────────────────────────────────────────────────────────────────────

    def add_record(self, record: Any) -> None:
        """Apply one decoded JSONL record."""
        if not isinstance(record, dict):
            self.bad_lines += 1
            return
        rewind = record.get("$rewindTo")
        if isinstance(rewind, str):
            self.rewind_to(rewind)
            return
        patch = record.get("$set")
        if isinstance(patch, dict):
            self._patch(patch)
            return
        if isinstance(record.get("id"), str) or record.get("type") in MESSAGE_TYPES:
            self.put_message(record)
            return
        if isinstance(record.get("sessionId"), str):
            self._patch(record)
            return
        self.bad_lines += 1

    def _patch(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key == "messages":
                if isinstance(value, list):
                    self.messages = {}
                    for message in value:
                        self.put_message(message)
                continue
            self.header[key] = value

    def put_message(self, message: Any) -> None:
        if not isinstance(message, dict):
            self.bad_lines += 1
            return
        message_id = message.get("id")
        if not isinstance(message_id, str):
            self.anonymous += 1
            message_id = f"\0{self.anonymous}"
        self.messages[message_id] = message  # an existing key keeps its place

    def rewind_to(self, message_id: str) -> None:
        self.rewinds += 1
        if message_id not in self.messages:
            head = self.head_ids
            self.messages = {} if head is None else {
                key: value for key, value in self.messages.items() if key in head}
            return
        kept: dict[str, dict[str, Any]] = {}
        for key, message in self.messages.items():
            if key == message_id:
                break
            kept[key] = message
        self.messages = kept


def replay_lines(lines: Iterable[bytes], conversation: Conversation | None = None
                 ) -> Conversation:
    """Replay a ``.jsonl`` chat from its lines (onto ``conversation``, to go on with one)."""
    conversation = conversation if conversation is not None else Conversation()
    for line in lines:
        if not line.strip():
            continue
        record = decode_line(line)
        if record is None:
            conversation.bad_lines += 1
            continue
        conversation.add_record(record)
    return conversation


def from_document(document: Any) -> Conversation:
    """A ``.json`` chat (one object with ``messages``)."""
    conversation = Conversation()
    if not isinstance(document, dict):
        conversation.bad_lines += 1
        return conversation
    conversation._patch({k: v for k, v in document.items() if k != "messages"})
    messages = document.get("messages")
    if isinstance(messages, list):
        for message in messages:
            conversation.put_message(message)
    return conversation
