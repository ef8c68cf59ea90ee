"""The full message parser: a rollout as the chat messages the Web UI shows.

- Typed prompts come from ``event_msg``/``user_message`` (the ``user`` response items repeat
  them next to injected AGENTS.md and environment text). Old rollouts without prompt events
  fall back to user response items that were not injected.
- Assistant text, tool calls (``function_call``, ``custom_tool_call``, ``web_search_call``) and
  their outputs (``role: tool``, matched by ``call_id``) come from ``response_item`` records.
- Reasoning summaries, when Codex recorded any, ride on the next assistant message.
Lines that do not parse are skipped. Every call builds new dicts for its caller.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hermes_sessions_core.regular_files import open_regular
from hermes_sessions_core.times import to_epoch

from .records import head_of, message_kind, parse_line
from .text import content_text, is_injected

__all__ = ["read_transcript"]


def read_transcript(path: Path) -> list[dict[str, Any]]:
    """Every displayed message of one rollout, oldest first."""
    prompts: list[dict[str, Any]] = []
    items: list[tuple[str, dict[str, Any]]] = []  # (kind, message) in file order
    tool_names: dict[str, str] = {}
    pending_reasoning: list[str] = []
    with open_regular(path) as handle:  # never blocks on a FIFO
        handle.readline()  # session_meta
        for line in handle:
            head = head_of(line) if line.strip() else None
            if head is None:
                continue
            kind = message_kind(head)
            if kind is None and head.subtype != "reasoning":
                continue
            record = parse_line(line)
            payload = record.get("payload") if record else None
            if not isinstance(payload, dict):
                continue
            stamp = to_epoch(head.timestamp)
            if head.subtype == "reasoning" and kind is None:
                pending_reasoning.extend(_summary_texts(payload))
                continue
            message = _message(kind, payload, stamp, tool_names)
            if message is None:
                continue
            if kind in ("assistant", "tool_call") and pending_reasoning:
                message["reasoning"] = "\n\n".join(pending_reasoning)
                pending_reasoning = []
            if kind == "user":
                prompts.append(message)
            items.append((str(kind), message))
    use_prompts = bool(prompts)
    return [
        message
        for kind, message in items
        if (kind == "user" and use_prompts) or (kind == "user_item" and not use_prompts)
        or kind not in ("user", "user_item")
    ]


def _message(
    kind: str | None, payload: dict[str, Any], stamp: float | None, tool_names: dict[str, str]
) -> dict[str, Any] | None:
    if kind == "user":
        text = str(payload.get("message") or "")
        message: dict[str, Any] = {"role": "user", "content": text, "timestamp": stamp}
        images = [i for i in payload.get("images") or [] if i] + [
            i for i in payload.get("local_images") or [] if i
        ]
        if images:
            message["images"] = images
        return message
    if kind == "user_item":
        text = content_text(payload.get("content")).strip()
        if not text or is_injected(text):
            return None
        return {"role": "user", "content": text, "timestamp": stamp}
    if kind == "assistant":
        message = {"role": "assistant", "content": content_text(payload.get("content")),
                   "timestamp": stamp}
        if payload.get("phase"):
            message["phase"] = payload["phase"]
        return message
    if kind == "tool_call":
        return _tool_call(payload, stamp, tool_names)
    if kind == "tool_output":
        call_id = str(payload.get("call_id") or "")
        output = payload.get("output")
        if not isinstance(output, str):
            output = json.dumps(output, ensure_ascii=False)
        return {"role": "tool", "content": output, "tool_call_id": call_id,
                "name": tool_names.get(call_id, ""), "timestamp": stamp}
    return None


def _tool_call(
    payload: dict[str, Any], stamp: float | None, tool_names: dict[str, str]
) -> dict[str, Any]:
    kind = payload.get("type")
    call_id = str(payload.get("call_id") or payload.get("id") or "")
    if kind == "web_search_call":
        name = "web_search"
        arguments = json.dumps(payload.get("action") or {}, ensure_ascii=False)
    elif kind == "custom_tool_call":
        name = str(payload.get("name") or "custom_tool")
        arguments = str(payload.get("input") or "")
    else:
        name = str(payload.get("name") or kind or "tool")
        raw = payload.get("arguments", payload.get("action", ""))
        arguments = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    if call_id:
        tool_names[call_id] = name
    return {
        "role": "assistant",
        "content": "",
        "timestamp": stamp,
        "tool_calls": [{"id": call_id, "type": "function",
                        "function": {"name": name, "arguments": arguments}}],
    }


def _summary_texts(payload: dict[str, Any]) -> list[str]:
    texts = []
    for part in payload.get("summary") or []:
        if isinstance(part, dict) and part.get("text"):
            texts.append(str(part["text"]))
    return texts
