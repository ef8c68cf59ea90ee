"""Replaying a rollout's records, in file order, into the transcript the user saw.

- Prompts are ``event_msg``/``user_message`` (the ``user`` items beside them repeat them next to
  injected context). Rollouts written before Codex recorded prompt events fall back to the
  ``user`` items that are not injected context.
- Assistant text, reasoning and tool calls (``function_call``, ``custom_tool_call``,
  ``local_shell_call``, ``web_search_call``) that follow one another form one assistant
  message; each output (``function_call_output``, ``custom_tool_call_output``) is a ``tool``
  message paired to its call by ``call_id``. Reasoning is kept apart in ``reasoning`` (its
  summary or readable content; encrypted content is never shown).
- A ``compacted`` record is a divider (``kind: "compaction"``, its summary attached): the
  history stays as the user saw it. An aborted turn is a short ``system`` notice.
- ``thread_rolled_back`` drops the last ``num_turns`` user turns (a prompt and everything
  after it), as Codex does when it rebuilds the thread: what the user undid is not shown.
- ``turn_context`` gives the model; ``token_count`` the usage (see :mod:`.tokens`).

With ``keep_outputs=False`` (the listing's exact counts) tool outputs are counted without being
decoded, which is where the bytes of a rollout are.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .records import LineHead, decode, epoch_of
from .text import content_text, is_injected, output_text
from .tokens import TokenTracker

__all__ = ["Replay", "COMPACTION_TEXT"]

COMPACTION_TEXT = "Conversation compacted"
_TOOL_CALLS = frozenset({"function_call", "custom_tool_call", "local_shell_call",
                         "web_search_call"})
_TOOL_OUTPUTS = frozenset({"function_call_output", "custom_tool_call_output"})
_CALL_ID = re.compile(rb'"call_id":"([^"\\]{1,200})"')
_MAX_MODEL_CHARS = 256


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return "{}"


class _Draft:
    """An assistant message being assembled from consecutive response items."""

    __slots__ = ("timestamp", "model", "text", "reasoning", "tool_calls", "phase")

    def __init__(self, timestamp: str, model: str | None) -> None:
        self.timestamp = timestamp
        self.model = model
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: list[dict[str, Any]] = []
        self.phase: str | None = None

    def shows_something(self) -> bool:
        return bool(self.text or self.reasoning or self.tool_calls)


class Replay:
    """Feed lines with :meth:`add` in file order (after the first ``session_meta``);
    :meth:`finish` returns the messages."""

    def __init__(self, *, keep_outputs: bool = True, max_content_chars: int = 200_000) -> None:
        self.keep_outputs = keep_outputs
        self.max_chars = max_content_chars
        self.items: list[dict[str, Any]] = []
        self.turn_starts: list[int] = []
        self.model: str | None = None
        self.tokens = TokenTracker()
        self._first_time = ""
        self._last_time = ""
        self._last_at: float | None = None
        self.bad_lines = 0
        self._draft: _Draft | None = None
        self._call_names: dict[str, str] = {}
        self._prompt_events = False
        self._provisional: list[dict[str, Any]] = []

    # ── lines ────────────────────────────────────────────────────────────────────────────

    def add(self, head: LineHead, line: bytes, record: dict[str, Any] | None) -> None:
        """One line whose head is known; ``record`` when it was decoded already."""
        # Times are kept as written and converted only where shown: most lines need none.
        if head.timestamp:
            if not self._first_time:
                self._first_time = head.timestamp
            self._last_time = head.timestamp
            self._last_at = None
        stamp = head.timestamp
        kind, sub = head.type, head.subtype
        if kind == "response_item":
            self._response_item(head, line, record, stamp)
        elif kind == "event_msg":
            if sub in ("user_message", "token_count", "thread_rolled_back", "turn_aborted"):
                payload = self._payload(line, record)
                if payload is not None:
                    self._event(sub, payload, stamp)
        elif kind == "turn_context":
            payload = self._payload(line, record)
            model = payload.get("model") if payload is not None else None
            if isinstance(model, str) and model.strip():
                self.model = model[:_MAX_MODEL_CHARS]
        elif kind == "compacted":
            payload = self._payload(line, record)
            self._divider(payload or {}, stamp)

    def _payload(self, line: bytes, record: dict[str, Any] | None) -> dict[str, Any] | None:
        if record is None:
            record = decode(line)
            if record is None:
                self.bad_lines += 1
                return None
        payload = record.get("payload")
        return payload if isinstance(payload, dict) else None

    def _cut(self, text: str) -> str:
        return text if len(text) <= self.max_chars else text[: self.max_chars]

    def _stamp(self, message: dict[str, Any], text: str) -> None:
        """The message's time, when messages are kept (counting needs none)."""
        if self.keep_outputs:
            at = epoch_of(text)
            if at is not None:
                message["timestamp"] = at

    @property
    def first_at(self) -> float | None:
        return epoch_of(self._first_time)

    @property
    def last_at(self) -> float | None:
        if self._last_at is None:
            self._last_at = epoch_of(self._last_time)
        return self._last_at

    def _shown(self, text: str) -> str:
        """Text kept for display; counting keeps none (prompts keep a title's worth)."""
        return self._cut(text) if self.keep_outputs else ""

    # ── response items ───────────────────────────────────────────────────────────────────

    def _response_item(
        self, head: LineHead, line: bytes, record: dict[str, Any] | None, stamp: str
    ) -> None:
        sub = head.subtype
        if sub in _TOOL_OUTPUTS:
            self._tool_output(line, record, stamp)
            return
        if sub == "message":
            if head.role not in ("assistant", "user"):
                return  # developer and system instructions are not the conversation
        elif sub not in _TOOL_CALLS and sub != "reasoning":
            return
        payload = self._payload(line, record)
        if payload is None:
            return
        role = payload.get("role")
        if sub == "message" and role == "user":
            self._user_item(payload, stamp)
        elif sub == "message" and role == "assistant":
            draft = self._open_draft(stamp)
            text = content_text(payload.get("content"))
            if text:
                draft.text.append(text)
            if isinstance(payload.get("phase"), str):
                draft.phase = payload["phase"]
        elif sub == "reasoning":
            texts = self._reasoning_texts(payload)
            if texts:
                self._open_draft(stamp).reasoning.extend(texts)
        elif sub in _TOOL_CALLS:
            self._tool_call(sub, payload, stamp)

    def _open_draft(self, stamp: str) -> _Draft:
        if self._draft is None:
            self._draft = _Draft(stamp, self.model)
        return self._draft

    def _close_draft(self) -> None:
        draft = self._draft
        self._draft = None
        if draft is None or not draft.shows_something():
            return
        message: dict[str, Any] = {"role": "assistant",
                                   "content": self._shown("\n\n".join(draft.text))}
        self._stamp(message, draft.timestamp)
        if draft.model:
            message["model"] = draft.model
        if draft.reasoning:
            message["reasoning"] = self._shown("\n\n".join(draft.reasoning))
        if draft.tool_calls:
            message["tool_calls"] = draft.tool_calls
        if draft.phase:
            message["phase"] = draft.phase
        self.items.append(message)

    @staticmethod
    def _reasoning_texts(payload: dict[str, Any]) -> list[str]:
        """Summary text, else readable reasoning content; ``encrypted_content`` never."""
        texts: list[str] = []
        for key in ("summary", "content"):
            parts = payload.get(key)
            if isinstance(parts, list):
                for part in parts:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        if part["text"].strip():
                            texts.append(part["text"])
            if texts:
                break
        return texts

    def _tool_call(self, sub: str, payload: dict[str, Any], stamp: str) -> None:
        call_id = payload.get("call_id") or payload.get("id")
        call_id = call_id if isinstance(call_id, str) else None
        if sub == "web_search_call":
            name = "web_search"
            arguments = _arguments(payload.get("action") or {})
        elif sub == "custom_tool_call":
            name = str(payload.get("name") or "custom_tool")
            arguments = _arguments(payload.get("input") or "")
        elif sub == "local_shell_call":
            name = "local_shell"
            arguments = _arguments(payload.get("action") or {})
        else:
            name = str(payload.get("name") or "tool")
            arguments = _arguments(payload.get("arguments", ""))
        draft = self._open_draft(stamp)
        draft.tool_calls.append({
            "id": call_id, "type": "function",
            "function": {"name": name[:256], "arguments": self._shown(arguments)},
        })
        if call_id is not None:
            self._call_names[call_id] = name[:256]

    def _tool_output(self, line: bytes, record: dict[str, Any] | None, stamp: str) -> None:
        self._close_draft()
        content = ""
        if self.keep_outputs or record is not None:
            payload = self._payload(line, record)
            if payload is None:
                return
            call_id = payload.get("call_id")
            call_id = call_id if isinstance(call_id, str) else None
            content = self._cut(output_text(payload.get("output")))
        else:
            # Counting only: the call id is near the head; the output is not decoded.
            if not line.rstrip().endswith(b"}"):
                self.bad_lines += 1
                return  # a cut line would not decode for the transcript either
            found = _CALL_ID.search(line, 0, 4096)
            call_id = found.group(1).decode("utf-8", "replace") if found else None
        message: dict[str, Any] = {
            "role": "tool", "content": content, "tool_call_id": call_id,
            "name": self._call_names.get(call_id) if call_id is not None else None,
        }
        self._stamp(message, stamp)
        self.items.append(message)

    # ── prompts ──────────────────────────────────────────────────────────────────────────

    def _user(self, text: str, stamp: str) -> dict[str, Any]:
        self._close_draft()
        shown = self._cut(text) if self.keep_outputs else text[:4096]
        message: dict[str, Any] = {"role": "user", "content": shown}
        self._stamp(message, stamp)
        self.turn_starts.append(len(self.items))
        self.items.append(message)
        return message

    def _user_item(self, payload: dict[str, Any], stamp: str) -> None:
        """A ``user`` response item: a prompt only in rollouts without prompt events."""
        if self._prompt_events:
            return
        text = content_text(payload.get("content"))
        if not text.strip() or is_injected(text):
            return
        self._provisional.append(self._user(text, stamp))

    def _prompt(self, payload: dict[str, Any], stamp: str) -> None:
        kind = payload.get("kind")
        if kind not in (None, "plain"):
            return  # older Codex sent its injected context as prompt events of other kinds
        text = payload.get("message")
        text = text if isinstance(text, str) else content_text(text)
        if is_injected(text):
            return
        if not self._prompt_events:
            self._prompt_events = True
            if self._provisional:
                self._close_draft()
                gone = {id(message) for message in self._provisional}
                self.items = [m for m in self.items if id(m) not in gone]
                self.turn_starts = [i for i, m in enumerate(self.items) if m["role"] == "user"]
                self._provisional = []
        images = [item for item in payload.get("images") or () if isinstance(item, str)]
        local = [item for item in payload.get("local_images") or () if isinstance(item, str)]
        shown = [text] if text else []
        shown += ["[image]"] * len(images) + [f"[image: {path[:1024]}]" for path in local]
        self._user("\n".join(shown), stamp)

    # ── events ───────────────────────────────────────────────────────────────────────────

    def _event(self, sub: str, payload: dict[str, Any], stamp: str) -> None:
        if sub == "user_message":
            self._prompt(payload, stamp)
        elif sub == "token_count":
            self.tokens.add(payload, epoch_of(stamp), self.model)
        elif sub == "thread_rolled_back":
            self._roll_back(payload.get("num_turns"))
        elif sub == "turn_aborted":
            self._close_draft()
            reason = payload.get("reason")
            notice: dict[str, Any] = {
                "role": "system", "kind": "interrupted",
                "content": "Turn interrupted" + (f" ({reason})" if isinstance(reason, str)
                                                 and reason and len(reason) < 64 else ""),
            }
            self._stamp(notice, stamp)
            self.items.append(notice)

    def notice(self, kind: str, text: str) -> None:
        """A ``system`` message of our own (what a reader left out)."""
        self._close_draft()
        self.items.append({"role": "system", "kind": kind, "content": text})

    def _roll_back(self, turns: Any) -> None:
        if isinstance(turns, bool) or not isinstance(turns, int) or turns <= 0:
            return
        self._close_draft()
        if not self.turn_starts:
            return
        turns = min(turns, len(self.turn_starts))
        cut = self.turn_starts[-turns]
        del self.items[cut:]
        del self.turn_starts[-turns:]

    def _divider(self, payload: dict[str, Any], stamp: str) -> None:
        self._close_draft()
        divider: dict[str, Any] = {"role": "system", "kind": "compaction",
                                   "content": COMPACTION_TEXT}
        summary = payload.get("message")
        if isinstance(summary, str) and summary.strip():
            divider["summary"] = self._cut(summary)
        self._stamp(divider, stamp)
        self.items.append(divider)

    # ── result ───────────────────────────────────────────────────────────────────────────

    def counts(self) -> tuple[int, int, str | None]:
        """(messages, user messages, first prompt) so far, without closing anything, so the
        replay can go on when the file grows."""
        draft = self._draft
        messages = len(self.items) + (1 if draft is not None and draft.shows_something() else 0)
        users = len(self.turn_starts)
        first = self.items[self.turn_starts[0]]["content"] if self.turn_starts else None
        return messages, users, first

    def finish(self) -> list[dict[str, Any]]:
        """The messages shown, oldest first (the replay may go on after this)."""
        self._close_draft()
        return self.items
