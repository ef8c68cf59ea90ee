"""Shared fixtures: every test runs with a private HOME and no Hermes or Claude variables,
so no test ever reads the developer's real ~/.hermes or ~/.claude."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

_ISOLATED_VARIABLES = (
    "HERMES_HOME",
    "HERMES_BASE_HOME",
    "HERMES_WEBUI_STATE_DIR",
    "HERMES_WEBUI_TEST_STATE_DIR",
    "HERMES_WEBUI_CLAUDE_PROJECTS_DIR",
    "HERMES_WEBUI_DEFAULT_WORKSPACE",
    "HERMES_WEBUI_DEFAULT_MODEL",
    "HERMES_MODEL",
    "OPENAI_MODEL",
    "LLM_MODEL",
    "CLAUDE_CONFIG_DIR",
    "HERMES_SESSIONS_BLOCKED_PLUGINS",
    "HERMES_SESSIONS_CONFIG",
    # Other agents' homes (issue 17), and the caches mirrors and indexes may use.
    "CODEX_HOME",
    "GEMINI_CLI_HOME",
    "XDG_DATA_HOME",
    "OPENCODE_DB",
    "XDG_CACHE_HOME",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME per test; the variables that point Hermes or an agent elsewhere removed."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in _ISOLATED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
