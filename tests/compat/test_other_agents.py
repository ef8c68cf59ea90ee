"""Codex, Gemini CLI and OpenCode sessions reach the Web UI where Claude Code's do: among the
CLI sessions (`get_cli_sessions`) and their transcripts (`get_cli_session_messages`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hermes_sessions_core import compat

from .conftest import HermesHome

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CODEX_THREAD = "019e1625-789d-76c0-80ab-3724b5ddb799"


@pytest.fixture
def agents(home: HermesHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HermesHome:
    codex = tmp_path / "codex-home"
    shutil.copytree(FIXTURES / "codex" / "sessions", codex / "sessions")
    gemini = tmp_path / "gemini" / ".gemini"
    shutil.copytree(FIXTURES / "gemini_cli" / "tmp", gemini / "tmp")
    data = tmp_path / "xdg-data"
    shutil.copytree(FIXTURES / "opencode", data / "opencode",
                    ignore=shutil.ignore_patterns("README.md", "*.py"))
    monkeypatch.setenv("CODEX_HOME", str(codex))
    monkeypatch.setenv("GEMINI_CLI_HOME", str(tmp_path / "gemini"))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    compat.reset()
    return home


def test_other_agents_are_listed_with_the_cli_sessions(agents: HermesHome) -> None:
    rows = compat.get_cli_sessions()
    tags = [row.get("source_tag") for row in rows]
    assert {"codex", "gemini_cli", "opencode"} <= set(tags)
    claude = [i for i, tag in enumerate(tags) if tag == "claude_code"]
    others = [i for i, tag in enumerate(tags) if tag in {"codex", "gemini_cli", "opencode"}]
    assert max(claude) < min(others)  # Claude Code first, as before, then the other agents
    assert not any(row.get("archived") for row in rows if row.get("source_tag") == "opencode")
    codex = next(row for row in rows if row["session_id"] == f"codex_{CODEX_THREAD}")
    assert codex["title"] == "show tools" and codex["read_only"] is True
    assert codex["resume_command"] == f"codex resume {CODEX_THREAD}"


def test_their_transcripts_open_through_the_cli_reader(agents: HermesHome) -> None:
    messages = compat.get_cli_session_messages(f"codex_{CODEX_THREAD}")
    assert messages and messages[0]["role"] == "user"
    assert compat.get_cli_session_messages("codex_00000000-0000-0000-0000-000000000000") == []


def test_a_blocked_source_is_not_listed(agents: HermesHome,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERMES_SESSIONS_BLOCKED_PLUGINS", "codex")
    compat.reset()
    tags = {row.get("source_tag") for row in compat.get_cli_sessions()}
    assert "codex" not in tags and "gemini_cli" in tags
