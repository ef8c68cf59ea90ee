"""claude_code against the kit's hostile-input section, in Claude Code's JSONL transcripts: a
FIFO or socket named like a transcript, and transcripts holding a 5,000-level message, a 10 MB
title or message, or records of the wrong types, beside the real fixtures."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import hermes_sessions_claude_code
import pytest

from hermes_sessions_core.testing import HostileInputContract, make_special_file, splice_raw_json
from hermes_sessions_core.testing.hostile import RAW_VALUE_MARKER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SESSION = "0badf00d-0000-4000-8000-00000000beef"


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


def _user(text: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "user", "sessionId": SESSION, "uuid": "u-1", "parentUuid": None,
            "timestamp": "2026-01-01T10:00:00.000Z", "cwd": "/tmp/hostile",
            "message": {"role": "user", "content": text}, **extra}


def _assistant(text: Any) -> dict[str, Any]:
    return {"type": "assistant", "sessionId": SESSION, "uuid": "a-1", "parentUuid": "u-1",
            "timestamp": "2026-01-01T10:00:05.000Z", "cwd": "/tmp/hostile",
            "message": {"role": "assistant", "model": "claude-test",
                        "content": [{"type": "text", "text": text}]}}


class TestClaudeCodeHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self):
        hermes_sessions_claude_code.clear_default_cache()
        return hermes_sessions_claude_code

    @pytest.fixture
    def seed(self, locations):
        shutil.copytree(FIXTURES / "claude_code", locations.claude_projects_roots()[0],
                        ignore=shutil.ignore_patterns("README.md"))
        return []

    @pytest.fixture
    def hostile_seed(self, locations):
        def write(kind: str, payload: Any) -> str:
            path = locations.claude_projects_roots()[0] / "-tmp-hostile" / f"{SESSION}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind in ("fifo", "socket"):
                make_special_file(path, kind)
            elif kind == "deep_nesting":
                path.write_bytes(splice_raw_json(_line(_user(RAW_VALUE_MARKER)), payload)
                                 + _line(_assistant("short answer")))
            elif kind == "oversized_title":
                path.write_bytes(_line(_user("first prompt"))
                                 + _line({"type": "custom-title", "customTitle": payload,
                                          "sessionId": SESSION})
                                 + _line(_assistant("short answer")))
            elif kind == "oversized_content":
                path.write_bytes(_line(_user(payload)) + _line(_assistant("short answer")))
            else:
                path.write_bytes(
                    _line(_user(payload["list"], timestamp=payload["text"], cwd=payload["text"],
                                isSidechain=payload["boolean"], sessionId=payload["text"],
                                uuid=payload["missing"]))
                    + _line({"type": payload["object"], "message": payload["object"]})
                    + _line({**_assistant(payload["object"]), "timestamp": payload["time"]})
                    + _line({"type": "custom-title", "customTitle": payload["text"]})
                )
            # S4.3: the id is a digest of the resolved path, so the seed names it without us
            digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
            return f"claude_code_{digest}"

        return write
