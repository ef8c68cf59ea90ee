"""Fixtures of the Gemini CLI tests: a fresh cache per test, the real chats in a ``.gemini``
folder, and a writer of generated chats in the real on-disk formats (JSONL lines as
``JSON.stringify`` writes them, one-object JSON indented by two spaces), so rules no licensed
file shows (rewinds, checkpoints, summaries, sub-agents, ``.project_root``) are tested too."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hermes_sessions_gemini_cli
import pytest
from hermes_sessions_gemini_cli.cache import SourceCache

from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.testing.fixtures import isolated_locations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini_cli"
JSONL_NATIVE = "0ab84937-9fe7-4284-986a-33c832af0b6a"
JSON_NATIVE = "5b959dae-8655-4cd1-b10f-720b8c336ea2"
SMALL_NATIVE = "gemini_stage0_jsonl"


def project_hash(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


def line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def user(message_id: str, text: Any, at: str = "2026-02-01T10:00:00.000Z",
         **extra: Any) -> dict[str, Any]:
    content = [{"text": text}] if isinstance(text, str) else text
    return {"id": message_id, "timestamp": at, "type": "user", "content": content, **extra}


def gemini(message_id: str, text: str, at: str = "2026-02-01T10:00:05.000Z", *,
           model: str = "gemini-2.5-pro", tokens: dict[str, int] | None = None,
           **extra: Any) -> dict[str, Any]:
    return {"id": message_id, "timestamp": at, "type": "gemini", "content": text,
            "thoughts": [], "tokens": tokens or {"input": 100, "output": 10, "cached": 40,
                                                 "thoughts": 5, "tool": 0, "total": 115},
            "model": model, **extra}


@dataclass
class GeminiHome:
    """A ``.gemini`` folder and helpers that write chats into it."""

    home: Path
    written: list[Path] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.home / "tmp"

    def chats(self, project: str) -> Path:
        folder = self.root / project / "chats"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def jsonl(self, session_id: str, records: list[dict[str, Any]], *, project: str = "p" * 64,
              start: str = "2026-02-01T10:00:00.000Z", name: str | None = None,
              **header: Any) -> Path:
        head = {"sessionId": session_id, "projectHash": project, "startTime": start,
                "lastUpdated": start, "kind": "main", **header}
        path = self.chats(project) / (name or f"session-2026-02-01T10-00-{session_id[:8]}.jsonl")
        path.write_bytes(line(head) + b"".join(line(r) for r in records))
        self.written.append(path)
        return path

    def json(self, session_id: str, messages: list[dict[str, Any]], *,
             project: str = "p" * 64, start: str = "2026-02-01T10:00:00.000Z",
             **extra: Any) -> Path:
        record = {"sessionId": session_id, "projectHash": project, "startTime": start,
                  "lastUpdated": start, "messages": messages, **extra}
        path = self.chats(project) / f"session-2026-02-01T10-00-{session_id[:8]}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2))
        self.written.append(path)
        return path

    def subagent(self, parent: str, agent_id: str, *, project: str = "p" * 64) -> Path:
        folder = self.chats(project) / parent
        folder.mkdir(exist_ok=True)
        path = folder / f"{agent_id}.jsonl"
        path.write_bytes(line({"sessionId": agent_id, "projectHash": project,
                               "startTime": "2026-02-01T10:01:00.000Z",
                               "lastUpdated": "2026-02-01T10:01:00.000Z", "kind": "subagent"})
                         + line(user("s-1", "sub-agent task"))
                         + line(gemini("s-2", "sub-agent answer")))
        return path


@pytest.fixture(autouse=True)
def fresh_default_cache():
    """The hooks use the process-wide cache: empty it around every test."""
    hermes_sessions_gemini_cli.clear_default_cache()
    yield
    hermes_sessions_gemini_cli.clear_default_cache()


@pytest.fixture
def cache() -> SourceCache:
    return SourceCache()


@pytest.fixture
def gemini_home(tmp_path: Path) -> GeminiHome:
    return GeminiHome(tmp_path / "dot-gemini")


@pytest.fixture
def real_home(tmp_path: Path) -> GeminiHome:
    """The real chats in a ``.gemini`` folder of their own."""
    home = GeminiHome(tmp_path / "real-gemini")
    shutil.copytree(FIXTURES / "tmp", home.root)
    return home


@pytest.fixture
def context_for(tmp_path: Path):
    """A hook context whose settings name a ``.gemini`` folder (and more settings)."""
    def make(home: Path | None = None, environ: dict[str, str] | None = None,
             **settings: Any) -> SourceContext:
        from dataclasses import replace
        locations = replace(isolated_locations(tmp_path), environ=environ or {})
        values = dict(settings)
        if home is not None:
            values["home"] = str(home)
        return SourceContext(locations, {"gemini_cli": values})
    return make
