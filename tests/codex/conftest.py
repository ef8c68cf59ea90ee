"""Rollouts for the Codex tests: the real fixtures, and a writer of rollouts in Codex's own
line format for what the real files lack (sub-agents, forks, rollbacks, compaction...)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.testing.fixtures import isolated_locations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"
CLI_THREAD = "019e1625-789d-76c0-80ab-3724b5ddb799"
DESKTOP_THREAD = "019e1695-0522-7c83-8b39-0dd379793f80"


def stamp(second: int) -> str:
    """An ISO time ``second`` seconds after 2026-06-01T10:00:00Z, as Codex writes it."""
    minutes, seconds = divmod(second, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-06-01T{10 + hours:02d}:{minutes:02d}:{seconds:02d}.000Z"


class Rollout:
    """Build one rollout line by line; :meth:`write` puts it under a Codex home."""

    def __init__(self, thread: str, *, cwd: str = "/work/repo", source: Any = "cli",
                 **meta: Any) -> None:
        self.thread = thread
        self.clock = 0
        # Codex's field order: scalars first, then the large instructions, then ``git``.
        git = meta.pop("git", None)
        instructions = meta.pop("base_instructions", {"text": "You are Codex."})
        payload = {"id": thread, "timestamp": stamp(0), "cwd": cwd, "originator": "codex_cli_rs",
                   "cli_version": "0.125.0", "source": source, **meta,
                   "model_provider": "openai", "base_instructions": instructions}
        if git is not None:
            payload["git"] = git
        self.lines: list[dict[str, Any]] = [
            {"timestamp": stamp(0), "type": "session_meta", "payload": payload}]

    def add(self, kind: str, payload: dict[str, Any], seconds: int = 1) -> Rollout:
        self.clock += seconds
        self.lines.append({"timestamp": stamp(self.clock), "type": kind, "payload": payload})
        return self

    def context(self, model: str = "gpt-5.5") -> Rollout:
        return self.add("turn_context", {"turn_id": "t", "cwd": "/work/repo", "model": model})

    def injected(self) -> Rollout:
        return self.add("response_item", {"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "# AGENTS.md instructions for /work/repo\n\nbe nice"},
            {"type": "input_text", "text": "<environment_context>\n</environment_context>"}]})

    def prompt(self, text: str, *, item: bool = True, event: bool = True) -> Rollout:
        if item:
            self.add("response_item", {"type": "message", "role": "user",
                                       "content": [{"type": "input_text", "text": text}]})
        if event:
            self.add("event_msg", {"type": "user_message", "message": text, "images": [],
                                   "local_images": []}, seconds=0)
        return self

    def reasoning(self, summary: str | None = None) -> Rollout:
        parts = [{"type": "summary_text", "text": summary}] if summary else []
        return self.add("response_item", {"type": "reasoning", "summary": parts, "content": None,
                                          "encrypted_content": "gAAAAsecret-encrypted"})

    def answer(self, text: str) -> Rollout:
        self.add("response_item", {"type": "message", "role": "assistant",
                                   "content": [{"type": "output_text", "text": text}]})
        return self.add("event_msg", {"type": "agent_message", "message": text}, seconds=0)

    def call(self, call_id: str, command: str, output: str) -> Rollout:
        self.add("response_item", {"type": "function_call", "name": "exec_command",
                                   "arguments": json.dumps({"cmd": command}),
                                   "call_id": call_id})
        return self.add("response_item", {"type": "function_call_output", "call_id": call_id,
                                          "output": output})

    def tokens(self, total: tuple[int, int, int, int], last: tuple[int, int, int, int],
               repeat: int = 1) -> Rollout:
        def usage(values: tuple[int, int, int, int]) -> dict[str, int]:
            given, cached, output, reasoning = values
            return {"input_tokens": given, "cached_input_tokens": cached,
                    "output_tokens": output, "reasoning_output_tokens": reasoning,
                    "total_tokens": given + output}
        for _ in range(repeat):
            self.add("event_msg", {"type": "token_count", "info": {
                "total_token_usage": usage(total), "last_token_usage": usage(last),
                "model_context_window": 258400}, "rate_limits": None}, seconds=0)
        return self

    def encode(self) -> bytes:
        return b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n"
                        for line in self.lines)

    def path_in(self, home: Path, *, archived: bool = False) -> Path:
        name = f"rollout-2026-06-01T10-00-00-{self.thread}.jsonl"
        if archived:
            return home / "archived_sessions" / name
        return home / "sessions" / "2026" / "06" / "01" / name

    def write(self, home: Path, *, archived: bool = False, data: bytes | None = None) -> Path:
        path = self.path_in(home, archived=archived)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.encode() if data is None else data)
        return path


@pytest.fixture
def codex_home(tmp_path: Path) -> Path:
    """An empty Codex home."""
    home = tmp_path / "codex-home"
    (home / "sessions").mkdir(parents=True)
    return home


@pytest.fixture
def real_home(codex_home: Path) -> Path:
    """A Codex home holding the two real rollouts."""
    shutil.copytree(FIXTURES / "sessions", codex_home / "sessions", dirs_exist_ok=True)
    return codex_home


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    return isolated_locations(tmp_path)


@pytest.fixture
def store_settings(codex_home: Path) -> dict[str, Any]:
    return {"codex": {"home": str(codex_home)}}
