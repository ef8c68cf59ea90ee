"""Profiles and locations (S7)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hermes_sessions_core import InvalidProfileName, Locations


def test_base_home_precedence_and_profile_unwrapping(tmp_path):
    """S7.1: HERMES_BASE_HOME, else HERMES_HOME, else ~/.hermes; `<base>/profiles/<name>` unwraps."""
    env = {"HERMES_HOME": str(tmp_path / "h" / "profiles" / "work")}
    loc = Locations.from_environment(environ=env)
    assert loc.base_home == (tmp_path / "h").resolve()
    assert loc.default_profile == "work"
    env["HERMES_BASE_HOME"] = str(tmp_path / "base")
    assert Locations.from_environment(environ=env).base_home == (tmp_path / "base").resolve()


@pytest.mark.parametrize("bad", ["Work", "-x", "a" * 65, "../x", "", "a/b", "é"])
def test_invalid_profile_names_raise(tmp_path, bad):
    """S7.2: invalid names raise; never mapped quietly to another profile."""
    loc = Locations.from_environment(base_home=tmp_path, environ={})
    with pytest.raises(InvalidProfileName):
        loc.profile_home(bad) if bad else loc.active_profile("Bad!")


def test_profile_homes(tmp_path):
    """S7.3, S7.4: root aliases map to the base; others to `<base>/profiles/<name>`."""
    loc = Locations.from_environment(base_home=tmp_path, root_profile_name="main", environ={})
    assert loc.profile_home("default") == loc.base_home == loc.profile_home("main")
    assert loc.profile_home("work") == loc.base_home / "profiles" / "work"
    assert loc.profiles_match(None, "main") and loc.profiles_match("default", "main")
    assert not loc.profiles_match("work", "play")


def test_active_profile_file_is_read_when_needed(tmp_path):
    """S7.5: call's profile, else `<base>/active_profile`, else default."""
    loc = Locations.from_environment(base_home=tmp_path, environ={})
    assert loc.active_profile() == "default"
    (tmp_path / "active_profile").write_text("work\n")
    assert loc.active_profile() == "work"
    assert loc.active_profile("play") == "play"


def test_state_dir_precedence(tmp_path):
    """S7.7: HERMES_WEBUI_STATE_DIR, else <HERMES_HOME>/webui, else ~/.hermes/webui."""
    env = {"HERMES_HOME": str(tmp_path / "home")}
    assert Locations.from_environment(environ=env).state_dir == (tmp_path / "home" / "webui").resolve()
    env["HERMES_WEBUI_STATE_DIR"] = str(tmp_path / "state")
    loc = Locations.from_environment(environ=env)
    assert loc.state_dir == (tmp_path / "state").resolve()
    assert loc.session_dir == loc.state_dir / "sessions"
    assert loc.projects_file == loc.state_dir / "projects.json"
    home_default = Locations.from_environment(environ={"HOME": str(tmp_path)})
    assert home_default.state_dir.name == "webui"


def test_default_model_and_workspace(tmp_path, monkeypatch):
    """S7.8: model variables in order, then host config; workspace never created."""
    loc = Locations.from_environment(base_home=tmp_path, state_dir=tmp_path / "s",
                                     environ={"OPENAI_MODEL": "o", "LLM_MODEL": "l"})
    assert loc.default_model() == "o"
    bare = Locations.from_environment(base_home=tmp_path, state_dir=tmp_path / "s",
                                      environ={"HERMES_WEBUI_DEFAULT_MODEL": "w"})
    assert bare.default_model({"model": {"default": "cfg"}}) == "cfg"
    assert bare.default_model({"model": "plain"}) == "plain"
    assert bare.default_model() == "w"
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    assert bare.default_workspace == str(tmp_path / "s" / "workspace")
    assert not (tmp_path / "s" / "workspace").exists()


def test_claude_roots_follow_the_environment_per_call(tmp_path, monkeypatch):
    """S4.1, S7.7: explicit dir, HERMES_WEBUI_CLAUDE_PROJECTS_DIR, CLAUDE_CONFIG_DIR entries."""
    loc = Locations.from_environment(base_home=tmp_path)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{tmp_path}/a, {tmp_path}/b")
    assert loc.claude_projects_roots() == (tmp_path / "a" / "projects", tmp_path / "b" / "projects")
    monkeypatch.setenv("HERMES_WEBUI_CLAUDE_PROJECTS_DIR", str(tmp_path / "x"))
    assert loc.claude_projects_roots() == (tmp_path / "x",)
    explicit = Locations.from_environment(base_home=tmp_path, claude_projects_dir=tmp_path / "e")
    assert explicit.claude_projects_roots() == (tmp_path / "e",)


def test_importing_has_no_side_effects(tmp_path):
    """S7.9: importing every package writes no environment variable and creates no file."""
    code = (
        "import os, threading; before = dict(os.environ); n = threading.active_count()\n"
        "import hermes_sessions_core, hermes_sessions_core.store, hermes_sessions_core.cli\n"
        "import hermes_sessions_json_fs, hermes_sessions_agent_state_db, hermes_sessions_claude_code\n"
        "assert dict(os.environ) == before, 'environment changed'\n"
        "assert threading.active_count() == n, 'thread started'\n"
        "assert os.listdir(os.environ['HOME']) == [], os.listdir(os.environ['HOME'])\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("HERMES_HOME", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
