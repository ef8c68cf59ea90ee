"""OpenCode messages and parts → the messages a transcript shows.

A user message shows what the user typed (its non-synthetic text parts; attached files as a
``[file: name]`` placeholder, never their bytes); a ``compaction`` part becomes a divider
before it. An assistant message is split at its ``step-start`` parts, one API call each: every
step becomes one assistant message with its text, its reasoning kept apart under
``reasoning``, and its tool calls (``tool_calls``, OpenAI's shape), followed by one ``tool``
message per finished call holding that call's output (or error), paired by ``callID``. The
compaction summary (``summary: true``) is marked ``kind: "compaction_summary"``; an aborted or
failed message carries its ``error``. Every stored message shows as at least one message, so
a listing's count never exceeds what a transcript holds.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import orjson

from .ids import session_id_for
from .records import MessageRecord, as_mapping, as_millis, as_text

__all__ = ["COMPACTION_TEXT", "build_messages", "window_messages"]

COMPACTION_TEXT = "Conversation compacted"


def _arguments(value: Any) -> str:
    try:
        return orjson.dumps(value if value is not None else {}).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return "{}"


def _tool_output(state: Mapping[str, Any]) -> str:
    for key in ("output", "error"):
        value = state.get(key)
        if isinstance(value, str):
            return value
    return ""


class _Step:
    """One assistant API call being assembled from its parts."""

    __slots__ = ("at", "text", "reasoning", "calls", "results", "files")

    def __init__(self, at: float | None) -> None:
        self.at = at
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.files: list[str] = []

    def empty(self) -> bool:
        return not (self.text or self.reasoning or self.calls or self.files)


class _Builder:
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.messages: list[dict[str, Any]] = []

    def cut(self, text: str) -> str:
        return text if len(text) <= self.max_chars else text[: self.max_chars]

    def add(self, message: MessageRecord) -> None:
        parts = message.parts or ()
        before = len(self.messages)
        if message.role == "user":
            self._user(message, parts)
        elif message.role == "assistant":
            self._assistant(message, parts)
        else:
            return  # an unknown role: nothing OpenCode would show
        if len(self.messages) == before:  # nothing to show, but it was said: keep its place
            shown: dict[str, Any] = {"role": message.role, "content": ""}
            self._stamp(shown, message.created_at)
            if message.role == "assistant":
                self._describe_assistant(shown, message)
            self.messages.append(shown)

    @staticmethod
    def _stamp(shown: dict[str, Any], at: float | None) -> None:
        if at is not None:
            shown["timestamp"] = at

    def _user(self, message: MessageRecord, parts: Iterable[Mapping[str, Any]]) -> None:
        texts: list[str] = []
        for part in parts:
            kind = part.get("type")
            if kind == "compaction":
                divider: dict[str, Any] = {
                    "role": "system", "kind": "compaction", "content": COMPACTION_TEXT,
                    "trigger": "auto" if part.get("auto") is True else "manual",
                }
                self._stamp(divider, message.created_at)
                self.messages.append(divider)
            elif kind == "text" and part.get("synthetic") is not True:
                text = part.get("text")
                if isinstance(text, str) and text:
                    texts.append(text)
            elif kind == "file":
                name = as_text(part.get("filename"), 500) or as_text(part.get("mime"), 100)
                texts.append(f"[file: {name or 'attachment'}]")
            elif kind == "agent":
                name = as_text(part.get("name"), 200)
                if name:
                    texts.append(f"@{name}")
        if texts:
            shown: dict[str, Any] = {"role": "user", "content": self.cut("\n".join(texts))}
            self._stamp(shown, message.created_at)
            shown["message_id"] = message.native_id
            self.messages.append(shown)

    def _assistant(self, message: MessageRecord, parts: Iterable[Mapping[str, Any]]) -> None:
        steps: list[_Step] = []
        step: _Step | None = None
        for part in parts:
            kind = part.get("type")
            if kind == "step-start" or step is None:
                step = _Step(None)
                steps.append(step)
                if kind == "step-start":
                    continue
            if kind == "text":
                text = part.get("text")
                if isinstance(text, str) and text and part.get("synthetic") is not True:
                    step.text.append(text)
                    step.at = step.at or as_millis(as_mapping(part.get("time")).get("start"))
            elif kind == "reasoning":
                text = part.get("text")
                if isinstance(text, str) and text:
                    step.reasoning.append(text)
                    step.at = step.at or as_millis(as_mapping(part.get("time")).get("start"))
            elif kind == "tool":
                self._tool(step, part)
            elif kind == "patch":
                files = part.get("files")
                if isinstance(files, list):
                    step.files.extend(str(f)[:4096] for f in files[:1000] if isinstance(f, str))
        for step in steps:
            if step.empty():
                continue
            shown: dict[str, Any] = {"role": "assistant", "content": self.cut("\n".join(step.text))}
            self._stamp(shown, step.at or message.created_at)
            if step.reasoning:
                shown["reasoning"] = self.cut("\n".join(step.reasoning))
            if step.calls:
                shown["tool_calls"] = step.calls
            if step.files:
                shown["patched_files"] = step.files
            shown["message_id"] = message.native_id
            self._describe_assistant(shown, message)
            self.messages.append(shown)
            self.messages.extend(step.results)

    @staticmethod
    def _describe_assistant(shown: dict[str, Any], message: MessageRecord) -> None:
        if message.model:
            shown["model"] = message.model
        if message.provider:
            shown["model_provider"] = message.provider
        if message.agent:
            shown["agent"] = message.agent
        if message.summary:
            shown["kind"] = "compaction_summary"
        if message.error:
            shown["error"] = message.error
        if message.completed_at is None and message.error is None:
            shown["pending"] = True

    def _tool(self, step: _Step, part: Mapping[str, Any]) -> None:
        call_id = as_text(part.get("callID"), 200) or as_text(part.get("id"), 200)
        name = as_text(part.get("tool"), 200) or "tool"
        state = as_mapping(part.get("state"))
        step.calls.append({
            "id": call_id, "type": "function",
            "function": {"name": name, "arguments": self.cut(_arguments(state.get("input")))},
        })
        step.at = step.at or as_millis(as_mapping(state.get("time")).get("start"))
        status = state.get("status")
        if status not in ("completed", "error"):
            return  # still pending or running: a call without a result yet
        result: dict[str, Any] = {
            "role": "tool", "content": self.cut(_tool_output(state)),
            "tool_call_id": call_id, "name": name,
        }
        title = as_text(state.get("title"), 500)
        if title:
            result["title"] = title
        if status == "error":
            result["is_error"] = True
        child = as_text(as_mapping(state.get("metadata")).get("sessionId"), 200)
        child_id = session_id_for(child) if child else None
        if child_id:
            result["subagent_session_id"] = child_id
        self._stamp(result, as_millis(as_mapping(state.get("time")).get("end")))
        step.results.append(result)


def build_messages(messages: Iterable[MessageRecord], max_chars: int) -> list[dict[str, Any]]:
    """The transcript of messages whose parts were read (already cut at any revert)."""
    builder = _Builder(max_chars)
    for message in messages:
        builder.add(message)
    return builder.messages


def window_messages(messages: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` most recent messages after a notice that earlier ones were left out."""
    if limit <= 0 or len(messages) <= limit:
        return messages
    left_out = len(messages) - limit
    notice = {
        "role": "system", "kind": "notice",
        "content": f"{left_out} earlier messages were left out; showing the most recent {limit}.",
    }
    return [notice, *messages[-limit:]]
