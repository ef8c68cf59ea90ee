"""The built-in Codex source against the kit's hostile-input section, in Codex rollouts: a FIFO
or socket named like a rollout, and rollouts holding a 5,000-level message, a 10 MB first
prompt or message, or records of the wrong types, beside the real fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hermes_sessions_codex
import pytest

from hermes_sessions_core.testing import HostileInputContract, make_special_file, splice_raw_json
from hermes_sessions_core.testing.hostile import RAW_VALUE_MARKER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"
THREAD = "0badf00d-0000-7000-8000-00000000beef"
STAMP = "2026-06-01T10:00:00.000Z"


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _meta(**changes: Any) -> dict[str, Any]:
    payload = {"id": THREAD, "timestamp": STAMP, "cwd": "/tmp/hostile", "originator": "codex-tui",
               "cli_version": "0.125.0", "source": "cli", "model_provider": "openai"}
    return {"timestamp": STAMP, "type": "session_meta", "payload": {**payload, **changes}}


def _prompt(text: Any, said: Any = None) -> list[dict[str, Any]]:
    """A prompt as Codex records it twice: the model's input item, and the event (``said``)."""
    return [
        {"timestamp": STAMP, "type": "response_item", "payload": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}},
        {"timestamp": STAMP, "type": "event_msg", "payload": {
            "type": "user_message", "message": text if said is None else said}},
    ]


def _answer(text: Any) -> dict[str, Any]:
    return {"timestamp": "2026-06-01T10:00:05.000Z", "type": "response_item", "payload": {
        "type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}}


class TestBuiltinCodexHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_codex

    @pytest.fixture
    def settings(self, data_dir):
        return {"codex": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(FIXTURES / "sessions", data_dir / "sessions")
        return ["codex_019e1625-789d-76c0-80ab-3724b5ddb799",
                "codex_019e1695-0522-7c83-8b39-0dd379793f80"]

    @pytest.fixture
    def hostile_seed(self, data_dir):
        def write(kind: str, payload: Any) -> str:
            path = (data_dir / "sessions" / "2026" / "06" / "01"
                    / f"rollout-2026-06-01T10-00-00-{THREAD}.jsonl")
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind in ("fifo", "socket"):
                make_special_file(path, kind)
            elif kind == "deep_nesting":
                lines = [_meta(), *_prompt(RAW_VALUE_MARKER, said="deep"), _answer("short")]
                data = b"".join(_line(record) for record in lines)
                path.write_bytes(splice_raw_json(data, payload))
            elif kind in ("oversized_title", "oversized_content"):
                lines = [_meta(), *_prompt(payload), _answer("short answer")]
                path.write_bytes(b"".join(_line(record) for record in lines))
            else:
                lines = [_meta(cwd=payload["text"], timestamp=payload["time"], id=payload["text"],
                               source=payload["object"], git=payload["list"]),
                         *_prompt(payload["list"]),
                         {"timestamp": payload["text"], "type": payload["object"],
                          "payload": payload["object"]},
                         {"timestamp": STAMP, "type": "event_msg", "payload": {
                             "type": "token_count", "info": {"total_token_usage": payload["list"],
                                                             "last_token_usage": payload["text"]}}},
                         {"timestamp": STAMP, "type": "event_msg", "payload": {
                             "type": "thread_rolled_back", "num_turns": payload["number"]}},
                         {"timestamp": STAMP, "type": "turn_context", "payload": {
                             "model": payload["list"]}},
                         {"timestamp": STAMP, "type": "response_item", "payload": {
                             "type": "function_call", "name": payload["list"],
                             "arguments": payload["object"], "call_id": payload["text"]}},
                         {"timestamp": STAMP, "type": "response_item", "payload": {
                             "type": "function_call_output", "call_id": payload["list"],
                             "output": payload["object"]}},
                         _answer(payload["object"])]
                path.write_bytes(b"".join(_line(record) for record in lines))
            return f"codex_{THREAD}"

        return write
