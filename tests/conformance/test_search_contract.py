"""The built-in sources that search pass the kit's search contract: json_fs on local Web UI
files, agent_state_db on the real state.db sample (whose chain is stitched into one row), and
claude_code on the real transcripts. (examples/aider_source implements no search hook.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import hermes_sessions_agent_state_db
import hermes_sessions_claude_code
import hermes_sessions_json_fs
import pytest

from hermes_sessions_core.testing import SearchContract, chat, original_record
from hermes_sessions_core.testing.samples import encode_original

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class TestJsonFsSearch(SearchContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_json_fs

    @pytest.fixture
    def seed(self, locations):
        """Twelve deploy sessions whose titles tie on bm25 (same length), with tool calls."""
        folder = locations.session_dir
        folder.mkdir(parents=True)
        ids = []
        for number in range(12):
            session_id = f"deploy{number:06d}"
            messages = chat(4, start=1_700_000_000.0 + number * 100)
            messages[1]["content"] = f"deploy step {number} rolled out to the cluster"
            messages[2]["tool_calls"] = [{"id": "c1", "type": "function", "function": {
                "name": "terminal", "arguments": '{"command": "kubectl rollout status"}'}}]
            record = original_record(
                session_id, messages, title=f"Deploy notes {number:02d}",
                updated_at=1_700_000_000.0 + number * 100 + 10,
            )
            (folder / f"{session_id}.json").write_bytes(encode_original(record))
            ids.append(session_id)
        return ids

    @pytest.fixture
    def search_examples(self):
        return [
            ("deploy notes", "deploy000011", "title"),
            ("rolled cluster", "deploy000003", "content"),
        ]


class TestAgentStateDbSearch(SearchContract):
    @pytest.fixture
    def plugin(self):
        hermes_sessions_agent_state_db.clear_cache()
        return hermes_sessions_agent_state_db

    @pytest.fixture
    def seed(self, locations):
        locations.base_home.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", locations.base_home / "state.db")
        return ["20261123_212026_5dae6d"]

    @pytest.fixture
    def search_examples(self):
        # The head 78dade holds the title and the chain's first messages; the sidebar row is
        # the tip 5dae6d (issue 15).
        return [
            ("Fix flaky payment", "20261123_212026_5dae6d", "title"),
            ("jitter", "20261123_212026_5dae6d", "content"),
            ("Kyoto", "20261123_212026_ced335", "title"),
            ("the", "cron_5afbaeed357d_20261123_212026", "content"),
        ]


class TestClaudeCodeSearch(SearchContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_claude_code

    @pytest.fixture
    def seed(self, tmp_path):
        shutil.copytree(FIXTURES / "claude_code", tmp_path / "claude-projects",
                        ignore=shutil.ignore_patterns("README.md"))
        return []

    @pytest.fixture
    def search_examples(self, listed):
        by_title = {row.get("title"): session_id for session_id, row in listed.items()}
        phoenix = by_title["start phoenix in background"]
        curry = by_title["Spawn curry poem agents, write sushi"]
        return [
            ("phoenix", phoenix, "title"),
            ("green yellow", curry, "content"),
            ("the", curry, "content"),
        ]
