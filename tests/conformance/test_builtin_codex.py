"""The built-in Codex source passes the kit's readable and search contracts on the real
rollouts (CLI 0.125.0 and Desktop 0.128.0-alpha.1), with CODEX_HOME given by the settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import hermes_sessions_codex
import pytest

from hermes_sessions_core.testing import ReadableSourceContract, SearchContract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codex"
CLI = "codex_019e1625-789d-76c0-80ab-3724b5ddb799"
DESKTOP = "codex_019e1695-0522-7c83-8b39-0dd379793f80"


class _CodexFixtures:
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_codex

    @pytest.fixture
    def settings(self, data_dir):
        return {"codex": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(FIXTURES / "sessions", data_dir / "sessions")
        return [CLI, DESKTOP]


class TestBuiltinCodexConformance(_CodexFixtures, ReadableSourceContract):
    @pytest.fixture
    def seed_damaged(self, data_dir):
        day = data_dir / "sessions" / "2026" / "05" / "12"
        day.mkdir(parents=True)
        broken = "00000000-0000-7000-8000-000000000bad"
        (day / f"rollout-2026-05-12T10-00-00-{broken}.jsonl").write_bytes(b'{"timestamp":"2026-')
        return [f"codex_{broken}"]


class TestBuiltinCodexSearch(_CodexFixtures, SearchContract):
    @pytest.fixture
    def search_examples(self):
        return [
            ("show tools", CLI, "title"),
            ("trascript", DESKTOP, "title"),
            ("governance budgetings", DESKTOP, "content"),
            ("compaction", CLI, "content"),
        ]
