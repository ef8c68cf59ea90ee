"""A replayed chat as the messages a host shows (roles as the agent store writes them).

``user`` messages show what was typed (``displayContent``: ``/init``, not its expansion); a
user message that only feeds a tool's ``functionResponse`` back is left out (its result is
already shown with the call). ``gemini`` messages become ``assistant`` messages: text in
``content``, ``thoughts`` in ``reasoning`` (never in the answer), and each of ``toolCalls`` as a
``tool_calls`` entry followed by a ``tool`` message with its ``result`` (Gemini stores call and
result together, so pairing is by construction). ``info``, ``warning`` and ``error`` records
become ``system`` notices of that kind.
"""

from __future__ import annotations

from typing import Any

import orjson

from hermes_sessions_core.times import to_epoch

from .conversation import Conversation
from .parts import UserKind, parts_text, user_kind

__all__ = ["build_messages", "window_messages", "NOTICE_KINDS"]

NOTICE_KINDS = frozenset({"info", "warning", "error"})
_ERROR_STATUSES = frozenset({"error", "cancelled"})


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return "{}"


def _result_text(call: dict[str, Any]) -> str:
    """The tool's output: the ``functionResponse`` it returned, else what the UI showed."""
    result = call.get("result")
    pieces: list[str] = []
    for part in result if isinstance(result, list) else [result]:
        if not isinstance(part, dict):
            if isinstance(part, str):
                pieces.append(part)
            continue
        response = part.get("functionResponse")
        if isinstance(response, dict):
            body = response.get("response")
            if isinstance(body, dict):
                for key in ("output", "error", "content"):
                    value = body.get(key)
                    if isinstance(value, str):
                        pieces.append(value)
                        break
                else:
                    pieces.append(_arguments(body))
            elif isinstance(body, str):
                pieces.append(body)
        elif isinstance(part.get("text"), str):
            pieces.append(part["text"])
    if pieces:
        return "\n".join(pieces)
    display = call.get("resultDisplay")
    return display if isinstance(display, str) else ""


def _thoughts(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    pieces = []
    for thought in value:
        if not isinstance(thought, dict):
            continue
        subject, description = thought.get("subject"), thought.get("description")
        text = "\n".join(
            item for item in (subject, description) if isinstance(item, str) and item.strip()
        )
        if text:
            pieces.append(text)
    return "\n\n".join(pieces)


def _stamp(message: dict[str, Any], value: Any) -> None:
    at = to_epoch(value)
    if at is not None:
        message["timestamp"] = at


def build_messages(conversation: Conversation, max_chars: int = 200_000) -> list[dict[str, Any]]:
    """Every message the host shows, in order; fresh dicts on every call."""
    shown: list[dict[str, Any]] = []
    for record in conversation.ordered():
        kind = record.get("type")
        if kind == "user":
            what, text = user_kind(record)
            if what in (UserKind.TOOL_REPLY, UserKind.EMPTY):
                continue
            message: dict[str, Any] = {"role": "user", "content": text[:max_chars]}
            _stamp(message, record.get("timestamp"))
            shown.append(message)
        elif kind == "gemini":
            shown.extend(_assistant(record, max_chars))
        elif kind in NOTICE_KINDS:
            text = parts_text(record.get("content"), max_chars).strip()
            if text:
                notice = {"role": "system", "kind": kind, "content": text}
                _stamp(notice, record.get("timestamp"))
                shown.append(notice)
    return shown


def _assistant(record: dict[str, Any], max_chars: int) -> list[dict[str, Any]]:
    text = parts_text(record.get("content"), max_chars)
    reasoning = _thoughts(record.get("thoughts"))[:max_chars]
    calls = [c for c in record.get("toolCalls") or () if isinstance(c, dict)] \
        if isinstance(record.get("toolCalls"), list) else []
    if not (text.strip() or reasoning or calls):
        return []
    message: dict[str, Any] = {"role": "assistant", "content": text}
    _stamp(message, record.get("timestamp"))
    model = record.get("model")
    if isinstance(model, str) and model:
        message["model"] = model[:256]
    if reasoning:
        message["reasoning"] = reasoning
    results: list[dict[str, Any]] = []
    if calls:
        message["tool_calls"] = []
        for call in calls:
            call_id = call.get("id") if isinstance(call.get("id"), str) else None
            name = call.get("name") if isinstance(call.get("name"), str) else None
            arguments = _arguments(call.get("args", {}))[:max_chars]
            message["tool_calls"].append({
                "id": call_id, "type": "function",
                "function": {"name": name, "arguments": arguments},
            })
            result: dict[str, Any] = {
                "role": "tool", "tool_call_id": call_id, "name": name,
                "content": _result_text(call)[:max_chars],
            }
            status = call.get("status")
            if isinstance(status, str):
                result["status"] = status
                if status in _ERROR_STATUSES:
                    result["is_error"] = True
            _stamp(result, call.get("timestamp") or record.get("timestamp"))
            results.append(result)
    return [message, *results]


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
