"""The Codex source passes the hermes-sessions conformance kit for readable sources."""

import shutil
from pathlib import Path

import hermes_sessions_codex
import pytest

from hermes_sessions_core.testing import ReadableSourceContract

CODEX_HOME = Path(__file__).parent / "fixtures" / "codex_home"


class TestCodexSource(ReadableSourceContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_codex

    @pytest.fixture
    def settings(self, data_dir):
        return {"codex": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(CODEX_HOME / "sessions", data_dir / "sessions")
        return ["codex_019e1625-789d-76c0-80ab-3724b5ddb799"]

    @pytest.fixture
    def seed_damaged(self, data_dir):
        day = data_dir / "sessions" / "2026" / "05" / "12"
        day.mkdir(parents=True)
        broken = "00000000-0000-7000-8000-000000000bad"
        (day / f"rollout-2026-05-12T10-00-00-{broken}.jsonl").write_bytes(b'{"timestamp":"2026-05-12T')
        return [f"codex_{broken}"]
