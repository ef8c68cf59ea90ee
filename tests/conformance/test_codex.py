"""The Codex example, pip-installed like a third-party plugin: it passes the kit, its sessions
reach `hermes-sessions list`, `hermes-sessions plugins` names its distribution, and its own
repository runs the kit through the pytest11 plugin with no copying."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from hermes_sessions_core.testing import ReadableSourceContract

from .conftest import CODEX_EXAMPLE, CODEX_HOME_FIXTURE, ROOT

SESSION_ID = "codex_019e1625-789d-76c0-80ab-3724b5ddb799"


class TestCodexConformance(ReadableSourceContract):
    @pytest.fixture
    def plugin(self, codex_plugin):
        return codex_plugin

    @pytest.fixture
    def settings(self, data_dir):
        return {"codex": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(CODEX_HOME_FIXTURE / "sessions", data_dir / "sessions")
        return [SESSION_ID]

    @pytest.fixture
    def seed_damaged(self, data_dir):
        day = data_dir / "sessions" / "2026" / "05" / "12"
        day.mkdir(parents=True)
        broken = "00000000-0000-7000-8000-000000000bad"
        (day / f"rollout-2026-05-12T10-00-00-{broken}.jsonl").write_bytes(b'{"timestamp":"2026-')
        return [f"codex_{broken}"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture
def installed_env(codex_site: Path, tmp_path: Path) -> dict[str, str]:
    """A process environment where the example is installed and Codex data exists."""
    codex_home = tmp_path / "codex"
    shutil.copytree(CODEX_HOME_FIXTURE, codex_home)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(codex_site), env.get("PYTHONPATH")]))
    env["CODEX_HOME"] = str(codex_home)
    env["HERMES_HOME"] = str(tmp_path / "hermes")
    return env


def test_pip_install_registers_only_an_entry_point(codex_site: Path) -> None:
    """The installed distribution declares `codex` in the hermes_sessions.plugins group."""
    (dist,) = [d for d in metadata.distributions(path=[str(codex_site)])]
    assert dist.metadata["Name"] == "hermes-sessions-codex" and dist.version == "0.1.0"
    points = [(ep.group, ep.name, ep.value) for ep in dist.entry_points]
    assert points == [("hermes_sessions.plugins", "codex", "hermes_sessions_codex")]


def test_installed_sessions_appear_in_list_json(installed_env: dict[str, str], tmp_path: Path) -> None:
    """Once installed, `hermes-sessions list --json` shows the Codex session, no problems."""
    result = _run([sys.executable, "-m", "hermes_sessions_core.cli", "list", "--json"],
                  installed_env, ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["session_id"]: row for row in report["sessions"]}
    assert rows[SESSION_ID]["title"] == "show tools"
    assert rows[SESSION_ID]["source_label"] == "Codex"
    assert rows[SESSION_ID]["resume_command"] == "codex resume 019e1625-789d-76c0-80ab-3724b5ddb799"
    assert [p for p in report["problems"] if p["source"] == "codex"] == []


def test_plugins_command_shows_the_distribution_and_version(installed_env: dict[str, str]) -> None:
    """`hermes-sessions plugins` lists codex as an entry point of hermes-sessions-codex 0.1.0."""
    result = _run([sys.executable, "-m", "hermes_sessions_core.cli", "plugins", "--json"],
                  installed_env, ROOT)
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["name"] == "codex")
    assert entry["status"] == "ok" and entry["origin"] == "entry point"
    assert entry["distribution"] == "hermes-sessions-codex 0.1.0"
    assert entry["writable"] is False and entry["id_prefixes"] == ["codex_"]
    table = _run([sys.executable, "-m", "hermes_sessions_core.cli", "plugins"],
                 {**installed_env, "COLUMNS": "100"}, ROOT)
    assert "hermes-sessions-codex 0.1.0" in table.stdout


def test_the_example_repository_runs_the_kit_through_the_pytest_plugin(
    installed_env: dict[str, str], tmp_path: Path
) -> None:
    """Run the example's own test suite as its author would (outside this repo's conftest):
    the kit arrives through the pytest11 entry point, and every contract passes."""
    result = _run(
        [sys.executable, "-m", "pytest", str(CODEX_EXAMPLE / "tests"), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(CODEX_EXAMPLE), "-c", str(CODEX_EXAMPLE / "pyproject.toml")],
        installed_env, tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    listed = _run(
        [sys.executable, "-m", "pytest", str(CODEX_EXAMPLE / "tests" / "test_conformance.py"),
         "--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(CODEX_EXAMPLE),
         "-c", str(CODEX_EXAMPLE / "pyproject.toml")],
        installed_env, tmp_path,
    )
    assert "TestCodexSource::test_damaged_data_gives_problems_not_exceptions" in listed.stdout
