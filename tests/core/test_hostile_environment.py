"""Hostile environments (issue 13, finding 3): a HOME or a Claude folder the process may not
enter (systemd ``ProtectHome=yes``, ``sudo`` keeping ``HOME=/root``, containers) degrades one
default with a problem record, logged once; it never empties the sidebar or crashes the CLI.

The OS itself must refuse access. Tests often run as root, which chmod 000 does not stop: then
the child process runs without the two capabilities that let root bypass file permissions
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, dropped with prctl before exec), so the kernel refuses
it exactly as it refuses any other user. In-process tests use a HOME whose name is longer than
the file system allows, which the kernel refuses to every user alike (ENAMETOOLONG).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core import Locations, SessionStore

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2


def _drop_permission_bypass() -> None:
    """In the child, before exec: give up root's right to ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) refused")


def _run(code_or_args: str | list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run Python in a child that file permissions really apply to, whoever runs the tests."""
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else [
        sys.executable, *code_or_args
    ]
    bypass = _drop_permission_bypass if os.geteuid() == 0 else None
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120,
                          preexec_fn=bypass, check=False)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Any]:
    """``locked(path)`` makes a folder unreadable (chmod 000) and checks that a child really
    is refused; the permissions are restored after the test so it can be cleaned up."""
    done: list[Path] = []

    def lock(path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0)
        done.append(path)
        probe = _run(f"import os; os.listdir({str(path)!r})", dict(os.environ))
        if "PermissionError" not in probe.stderr:
            pytest.skip(f"this machine cannot deny a process access to a folder: {probe.stderr}")
        return path

    yield lock
    for path in done:
        path.chmod(0o755)


def _seed_sessions(hermes_home: Path, count: int) -> None:
    store = SessionStore(Locations.from_environment(
        base_home=hermes_home, state_dir=hermes_home / "webui", default_workspace="/", environ={}
    ))
    for number in range(count):
        session = store.new_session()
        session.messages.append({"role": "user", "content": f"hello {number}",
                                 "timestamp": 1763900000 + number})
        session.title = f"session {number}"
        session.save()
    store.close()


def _environment(home: Path, hermes_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HERMES_", "CLAUDE_"))}
    env.update(HOME=str(home), HERMES_HOME=str(hermes_home), **extra)
    return env


LIST_IN_CHILD = textwrap.dedent("""
    import json
    from hermes_sessions_core import Locations, SessionStore
    store = SessionStore(Locations.from_environment())
    listing = store.list_sessions()
    print(json.dumps({
        "rows": len(listing.rows),
        "workspace": store.locations.default_workspace,
        "problems": [p.to_dict() for p in listing.problems],
        "location_problems": [p.to_dict() for p in store.locations.problems],
        "claude_roots": [str(r) for r in store.locations.claude_projects_roots()],
    }))
""")


def test_a_home_the_process_cannot_enter_still_lists_every_session(tmp_path: Path, locked) -> None:
    """Finding 3: with HOME unreadable, the Web UI sessions (kept elsewhere) all list; the
    default workspace falls back to the state dir, with one problem naming the probed path."""
    hermes_home = tmp_path / "hermes"
    _seed_sessions(hermes_home, 4)
    home = locked(tmp_path / "home")
    result = _run(LIST_IN_CHILD, _environment(home, hermes_home))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == 4
    assert report["workspace"] == str(hermes_home / "webui" / "workspace")
    probed = {problem["path"] for problem in report["location_problems"]}
    assert str(home / "workspace") in probed
    for problem in report["location_problems"]:
        assert problem["error_type"] == "PermissionError" and problem["source"] == "core"
    assert report["claude_roots"] == [str(home / ".claude" / "projects")]
    assert not [p for p in report["problems"] if p["source"] == "json_fs"]


def test_the_cli_lists_with_a_home_it_cannot_enter(tmp_path: Path, locked) -> None:
    """Finding 3: `hermes-sessions list` used to crash on the Claude folder probe; it now
    prints every session and exits 0."""
    hermes_home = tmp_path / "hermes"
    _seed_sessions(hermes_home, 3)
    home = locked(tmp_path / "home")
    env = _environment(home, hermes_home)
    table = _run(["-m", "hermes_sessions_core.cli", "list"], env)
    assert table.returncode == 0, table.stderr
    assert table.stdout.count("session ") == 3
    refused = f"{home / 'workspace'} (Permission denied)"
    assert refused in table.stderr, table.stderr  # said, with the path
    listed = _run(["-m", "hermes_sessions_core.cli", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["sessions"]) == 3


def test_an_unreadable_claude_folder_degrades_only_claude_code(tmp_path: Path, locked) -> None:
    """A Claude Code folder the process may not read is a problem of that source: the Web UI
    sessions still list, and the CLI still works."""
    hermes_home = tmp_path / "hermes"
    _seed_sessions(hermes_home, 2)
    home = tmp_path / "home"
    home.mkdir()
    claude = locked(home / ".claude" / "projects")
    env = _environment(home, hermes_home)
    result = _run(LIST_IN_CHILD, env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"] == 2
    assert report["claude_roots"][0] == str(claude)
    env["HERMES_WEBUI_CLAUDE_PROJECTS_DIR"] = str(claude)
    cli = _run(["-m", "hermes_sessions_core.cli", "list", "--json"], env)
    assert cli.returncode == 0, cli.stderr
    assert len(json.loads(cli.stdout)["sessions"]) == 2


@pytest.fixture
def unnameable_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose name the kernel refuses to look up (ENAMETOOLONG), for any user."""
    home = tmp_path / ("h" * 300)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_locations_never_raise_for_a_home_the_os_refuses(
    tmp_path: Path, unnameable_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Probing defaults (the workspace, the Claude folder) never raises: the path counts as
    absent, becomes one problem per path however often it is probed, and is logged once
    per process however many Locations meet it."""
    with caplog.at_level(logging.WARNING, logger="hermes_sessions_core.locations"):
        for _ in range(2):
            locations = Locations.from_environment(base_home=tmp_path / "hermes",
                                                   state_dir=tmp_path / "state", environ={})
            assert locations.default_workspace == str(tmp_path / "state" / "workspace")
            for _ in range(3):
                assert locations.claude_projects_roots() == (
                    unnameable_home / ".claude" / "projects",
                )
            paths = [problem.path for problem in locations.problems]
            assert paths == [str(unnameable_home / "workspace"), str(unnameable_home / "work"),
                             str(unnameable_home / ".config" / "claude" / "projects")]
            assert {problem.error_type for problem in locations.problems} == {"OSError"}
            assert "HERMES_WEBUI_DEFAULT_WORKSPACE" in locations.problems[0].message
    logged = [r.getMessage() for r in caplog.records if r.name == "hermes_sessions_core.locations"]
    assert len(logged) == 3, logged


def test_the_default_workspace_is_probed_once_per_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workspace probe runs once per Locations (every session load needs its answer), so
    a hostile HOME costs one failed stat, not one per session."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    locations = Locations.from_environment(base_home=tmp_path / "hermes",
                                           state_dir=tmp_path / "state", environ={})
    first = locations.default_workspace
    (home / "workspace").mkdir()
    assert locations.default_workspace == first == str(tmp_path / "state" / "workspace")
    fresh = Locations.from_environment(base_home=tmp_path / "hermes",
                                       state_dir=tmp_path / "state", environ={})
    assert fresh.default_workspace == str(home / "workspace")


def test_sessions_load_with_a_home_the_os_refuses(tmp_path: Path, unnameable_home: Path) -> None:
    """A listing and a load under such a HOME work in-process too."""
    store = SessionStore(Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "state", environ={}
    ))
    session = store.new_session()
    session.messages.append({"role": "user", "content": "hi", "timestamp": 1763900000})
    session.save()
    assert session.workspace == str(tmp_path / "state" / "workspace")
    assert [row.session_id for row in store.list_sessions().rows] == [session.session_id]
    store.close()
