"""The read-only built-in sources pass the readable contract on the real fixtures: the agent's
state.db (agent_state_db) and Claude Code transcripts (claude_code)."""

from __future__ import annotations

import shutil
from pathlib import Path

import hermes_sessions_agent_state_db
import hermes_sessions_claude_code
import pytest

from hermes_sessions_core.testing import ReadableSourceContract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class TestAgentStateDbConformance(ReadableSourceContract):
    @pytest.fixture
    def plugin(self):
        hermes_sessions_agent_state_db.clear_cache()
        return hermes_sessions_agent_state_db

    @pytest.fixture
    def seed(self, locations):
        locations.base_home.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", locations.base_home / "state.db")
        return []

    @pytest.fixture
    def seed_damaged(self, locations):
        locations.base_home.mkdir(parents=True, exist_ok=True)
        (locations.base_home / "state.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
        return []


class TestClaudeCodeConformance(ReadableSourceContract):
    reports_damaged_data = False  # S4.19: bad lines and files are skipped, the rest still lists

    @pytest.fixture
    def plugin(self):
        return hermes_sessions_claude_code

    @pytest.fixture
    def seed(self, tmp_path):
        shutil.copytree(FIXTURES / "claude_code", tmp_path / "claude-projects",
                        ignore=shutil.ignore_patterns("README.md"))
        return []

    @pytest.fixture
    def seed_damaged(self, tmp_path):
        project = tmp_path / "claude-projects" / "-tmp-damaged"
        project.mkdir(parents=True)
        broken = "0badc0de-0000-4000-8000-000000000000"
        (project / f"{broken}.jsonl").write_bytes(b'{"type":"user","message":{"role":"user","content":"cut')
        (project / "ffffffff-0000-4000-8000-000000000000.jsonl").write_bytes(b"\xff\xfe not json at all\n")
        return []
