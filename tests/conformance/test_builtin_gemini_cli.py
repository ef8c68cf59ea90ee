"""The Gemini CLI source passes the kit's readable and search contracts on the real chats
(one JSONL chat with a slash command and re-appended messages, one older one-object JSON
chat, one small JSONL chat), read from a ``.gemini`` folder named by its ``home`` setting."""

from __future__ import annotations

import shutil
from pathlib import Path

import hermes_sessions_gemini_cli
import pytest

from hermes_sessions_core.testing import ReadableSourceContract, SearchContract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini_cli"
JSONL_ID = "gemini_cli_0ab84937-9fe7-4284-986a-33c832af0b6a"
JSON_ID = "gemini_cli_5b959dae-8655-4cd1-b10f-720b8c336ea2"
SMALL_ID = "gemini_cli_gemini_stage0_jsonl"


class TestGeminiCliConformance(ReadableSourceContract, SearchContract):
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
        return [JSONL_ID, JSON_ID, SMALL_ID]

    @pytest.fixture
    def seed_damaged(self, data_dir):
        chats = data_dir / "tmp" / ("d" * 64) / "chats"
        chats.mkdir(parents=True)
        (chats / "session-2026-01-01T00-00-0badc0de.jsonl").write_bytes(b'{"sessionId":"0badc0de-')
        (chats / "session-2026-01-01T00-00-ffffffff.json").write_bytes(b"\xff\xfe not json at all")
        return []

    @pytest.fixture
    def search_examples(self):
        return [
            ("uv run", JSONL_ID, "title"),
            ("concise format", JSON_ID, "content"),
            ("hello", SMALL_ID, "title"),
        ]
