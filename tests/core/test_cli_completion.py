"""Shell completion: the scripts typer generates, and the values completed from the user's
own home (sources, profiles, session ids), asked the way bash asks: through the environment of
a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.manager import make_plugin_manager


@pytest.fixture
def home(tmp_path, monkeypatch):
    base = tmp_path / "hermes"
    monkeypatch.setenv("HERMES_HOME", str(base))
    store = SessionStore(
        Locations.from_environment(claude_projects_dir=tmp_path / "none"),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
    )
    for session_id in ("abcd00000001", "abce00000002", "zzzz00000003"):
        store.save(Session(session_id=session_id, title=session_id,
                           messages=[{"role": "user", "content": "hi"}]))
    store.close()
    registry.forget_all()
    (base / "profiles" / "work").mkdir(parents=True)
    yield base
    registry.forget_all()


def complete(*words: str, home: Path | None = None) -> list[str]:
    """What bash's completion function receives for ``hermes-sessions <words>``."""
    env = {**os.environ, "_HERMES_SESSIONS_COMPLETE": "complete_bash",
           "COMP_WORDS": " ".join(("hermes-sessions", *words)), "COMP_CWORD": str(len(words))}
    if home is not None:
        env["HERMES_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-m", "hermes_sessions_core"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.split()


def test_commands_and_options_complete():
    assert complete("li") == ["list"]
    assert set(complete("list", "--so")) == {"--source", "--sort"}
    assert complete("list", "--sort", "") == ["sidebar", "activity", "created", "title",
                                              "messages"]


def test_values_come_from_the_users_home(home):
    assert sorted(complete("show", "abc", home=home)) == ["abcd00000001", "abce00000002"]
    assert complete("list", "--profile", "", home=home) == ["default", "work"]
    assert {"json_fs", "agent_state_db", "claude_code"} <= set(
        complete("list", "--source", "", home=home)
    )


def test_an_unreadable_home_completes_nothing_and_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such" / "home"
    assert complete("show", "", home=missing) == []
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_for_each_shell(shell):
    done = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core", "--show-completion", shell],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "_HERMES_SESSIONS_COMPLETE" in done.stdout


def test_export_completes_session_ids_too(home):
    assert sorted(complete("export", "abc", home=home)) == ["abcd00000001", "abce00000002"]


def test_machines_come_from_the_settings_file_without_contacting_them(home):
    (home / "webui" / "hermes-sessions.toml").write_text(
        '[[claude_code.roots]]\nurl = "sftp://me@192.0.2.1/home/me/.claude/projects"\n'
        'machine = "laptop"\n', encoding="utf-8")
    assert complete("list", "--machine", "", home=home) == ["laptop", "local"]
    assert complete("usage", "--machine", "la", home=home) == ["laptop"]
