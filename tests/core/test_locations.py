"""Profiles and locations (S7)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hermes_sessions_core import InvalidProfileName, Locations, regular_files


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


def _counting(monkeypatch, module, name):
    """Count calls of ``module.name`` (still calling it)."""
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_profiles_are_read_once_per_held_block_and_afresh_after(tmp_path, monkeypatch):
    """S7.3, S7.5: inside held_profiles the profile list, the active profile file and each
    profile home are read once for the block; the next block and any call outside one see a
    profile created or switched meanwhile (the Web UI does both while running)."""

    from hermes_sessions_core import locations as module

    (tmp_path / "profiles" / "work").mkdir(parents=True)
    (tmp_path / "active_profile").write_text("work\n")
    loc = Locations.from_environment(base_home=tmp_path, environ={})
    scans = _counting(monkeypatch, module.os, "scandir")
    reads = _counting(monkeypatch, regular_files, "read_regular")
    resolves = _counting(monkeypatch, module, "_resolved")
    with loc.held_profiles():
        for _ in range(3):
            assert loc.known_profiles() == ["default", "work"]
            assert loc.active_profile() == "work"
            assert loc.profile_home("work") == tmp_path.resolve() / "profiles" / "work"
        (tmp_path / "profiles" / "play").mkdir()
        (tmp_path / "active_profile").write_text("play\n")
        assert loc.known_profiles() == ["default", "work"] and loc.active_profile() == "work"
        with loc.held_profiles():  # nested: still the outer block's answers
            assert loc.known_profiles() == ["default", "work"]
    assert (len(scans), len(reads), len(resolves)) == (1, 1, 2)
    with loc.held_profiles():
        assert loc.known_profiles() == ["default", "play", "work"]
        assert loc.active_profile() == "play"
    assert loc.known_profiles() == ["default", "play", "work"]
    assert len(scans) == 3
    other = Locations.from_environment(base_home=tmp_path / "elsewhere", environ={})
    with loc.held_profiles():
        loc.known_profiles()
        assert other.known_profiles() == ["default"]  # another object asks its own folder


def test_a_listing_scans_the_profiles_folder_once_and_sees_new_profiles(tmp_path, monkeypatch):
    """S6.8, S7.3, S7.5: an all-profiles listing lists <base>/profiles with one scandir, reads
    <base>/active_profile once and resolves each profile home once, however many sources ask;
    a profile created between two listings is in the second."""

    from hermes_sessions_core import SessionStore
    from hermes_sessions_core import locations as module
    from hermes_sessions_core.manager import make_plugin_manager

    (tmp_path / "hermes" / "profiles" / "work").mkdir(parents=True)
    loc = Locations.from_environment(base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
                                     claude_projects_dir=tmp_path / "none", environ={})
    manager = make_plugin_manager(builtins=["json_fs", "agent_state_db"], entry_points=False)
    with SessionStore(loc, plugin_manager=manager) as store:
        store.list_sessions(all_profiles=True)  # warm: imports, first-use setup
        scans = _counting(monkeypatch, module.os, "scandir")
        reads = _counting(monkeypatch, regular_files, "read_regular")
        resolves = _counting(monkeypatch, module, "_resolved")
        store.list_sessions(all_profiles=True)
        profile_scans = [a for a in scans if str(a[0]).endswith("profiles")]
        active_reads = [a for a in reads if str(a[0]).endswith("active_profile")]
        assert (len(profile_scans), len(active_reads)) == (1, 1)
        assert len(resolves) == 2  # `work`'s home: <base>/profiles, then <base>/profiles/work
        (tmp_path / "hermes" / "profiles" / "play").mkdir()
        seen = []
        original = module.Locations.state_db
        monkeypatch.setattr(module.Locations, "state_db",
                            lambda self, profile=None: seen.append(profile) or original(self, profile))
        store.list_sessions(all_profiles=True)
        assert "play" in seen


def test_an_active_profile_file_that_is_a_fifo_or_huge_counts_as_absent(tmp_path):
    """Read with a cap and never blocking: a FIFO would hang every listing."""
    import os

    base = tmp_path / "hermes"
    (base / "profiles" / "work").mkdir(parents=True)
    os.mkfifo(base / "active_profile")
    locations = Locations.from_environment(base_home=base, environ={})
    assert locations.active_profile() == "default"
    (base / "active_profile").unlink()
    (base / "active_profile").write_text("work" + " " * 10_000)
    assert locations.active_profile() == "default"
    (base / "active_profile").write_text("work\n")
    assert locations.active_profile() == "work"
