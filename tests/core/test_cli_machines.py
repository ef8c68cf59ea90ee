"""Roots on other machines from the settings file, and `list --machine` (issue 17)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hermes_sessions_claude_code import clear_default_cache
from typer.testing import CliRunner

from hermes_sessions_core.cli import app

CLAUDE = Path(__file__).parents[1] / "fixtures" / "claude_code"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Claude Code here, and a copy standing for the 'nas' machine in the settings file."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("CODEX_HOME", "GEMINI_CLI_HOME", "XDG_DATA_HOME", "CLAUDE_CONFIG_DIR",
                 "HERMES_WEBUI_CLAUDE_PROJECTS_DIR", "HERMES_SESSIONS_CONFIG", "HERMES_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shutil.copytree(CLAUDE, tmp_path / ".claude" / "projects",
                    ignore=shutil.ignore_patterns("README.md"))
    nas = shutil.copytree(CLAUDE, tmp_path / "nas-copy",
                          ignore=shutil.ignore_patterns("README.md"))
    webui = tmp_path / ".hermes" / "webui"
    webui.mkdir(parents=True)
    (webui / "hermes-sessions.toml").write_text(
        f'[[claude_code.roots]]\nurl = "{nas}"\nmachine = "nas"\n', encoding="utf-8")
    clear_default_cache()
    yield tmp_path
    clear_default_cache()


def _list(*args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["list", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["sessions"]


def test_machine_filters_rows_by_where_they_were_read(home):
    everything = _list()
    nas = _list("--machine", "nas")
    local = _list("--machine", "local")
    assert len(nas) == len(local) > 0
    assert len(everything) == len(nas) + len(local)
    assert all(row["machine"] == "nas" and "__" in row["session_id"] for row in nas)
    assert all("machine" not in row for row in local)
    assert {r["external_session_id"] for r in nas} == {r["external_session_id"] for r in local}


def test_the_source_column_names_the_machine(home):
    result = CliRunner().invoke(app, ["list", "--machine", "nas"])
    assert result.exit_code == 0, result.output
    assert all("\tClaude Code @nas\t" in line for line in result.stdout.splitlines())


def test_an_unknown_machine_exits_2_with_the_choices(home):
    result = CliRunner().invoke(app, ["list", "--machine", "laptop"])
    assert result.exit_code == 2
    assert "choose from: local, nas" in result.output


def test_a_broken_settings_file_is_named_with_its_line(home):
    (home / ".hermes" / "webui" / "hermes-sessions.toml").write_text(
        "[claude_code\nroots = 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 1
    assert "hermes-sessions.toml" in result.output and "line 1" in result.output


def test_the_environment_can_name_another_settings_file(home, monkeypatch):
    other = home / "elsewhere.toml"
    other.write_text("", encoding="utf-8")
    monkeypatch.setenv("HERMES_SESSIONS_CONFIG", str(other))
    assert all("machine" not in row for row in _list())
