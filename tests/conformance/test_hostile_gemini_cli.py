"""gemini_cli against the kit's hostile-input section, in Gemini CLI's JSONL chats: a FIFO or
socket named like a chat, and chats holding a 5,000-level message, a 10 MB summary (the title)
or message, or records of the wrong types, beside the real fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hermes_sessions_gemini_cli
import pytest

from hermes_sessions_core.testing import HostileInputContract, make_special_file, splice_raw_json
from hermes_sessions_core.testing.hostile import RAW_VALUE_MARKER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini_cli"
SESSION = "0badf00d-0000-4000-8000-00000000beef"


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _header(**changes: Any) -> dict[str, Any]:
    return {"sessionId": SESSION, "projectHash": "e" * 64, "startTime": "2026-01-01T10:00:00.000Z",
            "lastUpdated": "2026-01-01T10:00:05.000Z", "kind": "main", **changes}


def _user(content: Any, **changes: Any) -> dict[str, Any]:
    return {"id": "u-1", "timestamp": "2026-01-01T10:00:00.000Z", "type": "user",
            "content": content, **changes}


def _gemini(content: Any, **changes: Any) -> dict[str, Any]:
    return {"id": "g-1", "timestamp": "2026-01-01T10:00:05.000Z", "type": "gemini",
            "content": content, "model": "gemini-test",
            "tokens": {"input": 10, "output": 2, "cached": 0, "thoughts": 0, "tool": 0,
                       "total": 12}, **changes}


class TestGeminiCliHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self):
        hermes_sessions_gemini_cli.clear_default_cache()
        return hermes_sessions_gemini_cli

    @pytest.fixture
    def settings(self, data_dir):
        return {"gemini_cli": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(FIXTURES / "tmp", data_dir / "tmp")
        return []

    @pytest.fixture
    def hostile_seed(self, data_dir):
        def write(kind: str, payload: Any) -> str:
            path = data_dir / "tmp" / ("e" * 64) / "chats" / "session-2026-01-01T10-00-0badf00d.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind in ("fifo", "socket"):
                make_special_file(path, kind)
            elif kind == "deep_nesting":
                path.write_bytes(_line(_header())
                                 + splice_raw_json(_line(_user(RAW_VALUE_MARKER)), payload)
                                 + _line(_gemini("short answer")))
            elif kind == "oversized_title":
                path.write_bytes(_line(_header()) + _line(_user("first prompt"))
                                 + _line({"$set": {"summary": payload}})
                                 + _line(_gemini("short answer")))
            elif kind == "oversized_content":
                path.write_bytes(_line(_header()) + _line(_user(payload))
                                 + _line(_gemini("short answer")))
            else:
                path.write_bytes(
                    _line(_header(startTime=payload["time"], lastUpdated=payload["time"],
                                  summary=payload["number"], directories=payload["list"],
                                  kind=payload["number"], projectHash=payload["object"]))
                    + _line(_user(payload["list"], timestamp=payload["text"],
                                  displayContent=payload["object"]))
                    + _line({"$set": payload["object"]})
                    + _line({"$rewindTo": payload["text"]})
                    + _line(_user(payload["text"], id=payload["boolean"]))
                    + _line(_gemini(payload["object"], thoughts=payload["list"],
                                    tokens=payload["list"], toolCalls=payload["list"],
                                    model=payload["number"], timestamp=payload["time"]))
                    + _line(_gemini("ok", id="g-2", toolCalls=[payload["text"], {
                        "id": payload["number"], "name": payload["object"],
                        "args": payload["text"], "result": payload["list"],
                        "status": payload["boolean"]}], tokens={"input": payload["number"]}))
                )
            return f"gemini_cli_{SESSION}"

        return write
