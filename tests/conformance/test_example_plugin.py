"""The worked example (Aider, `examples/aider_source`), pip-installed like a third-party plugin:
it passes the kit, its sessions reach `hermes-sessions list`, `hermes-sessions plugins` names
its distribution, and its own repository runs the kit through the pytest11 plugin with no
copying."""

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

from .conftest import EXAMPLE, EXAMPLE_PROJECTS, ROOT

SESSION_ID = "aider_weather-cli_20250314-091205"
SEEDED = [SESSION_ID, "aider_weather-cli_20250315-164031", "aider_notes-app_20250402-080544"]


class TestExamplePluginConformance(ReadableSourceContract):
    @pytest.fixture
    def plugin(self, example_plugin):
        return example_plugin

    @pytest.fixture
    def settings(self, data_dir):
        return {"aider": {"roots": [str(data_dir)]}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(EXAMPLE_PROJECTS, data_dir, dirs_exist_ok=True)
        return SEEDED

    @pytest.fixture
    def seed_damaged(self, data_dir):
        project = data_dir / "broken"
        project.mkdir()
        (project / ".aider.chat.history.md").write_bytes(
            b"\n# aider chat started at 2025-02-30 10:00:00\n\n#### hello  \n")
        return []


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture
def installed_env(example_site: Path, tmp_path: Path) -> dict[str, str]:
    """A process environment where the example is installed and an Aider history exists."""
    projects = tmp_path / "projects"
    shutil.copytree(EXAMPLE_PROJECTS, projects)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(example_site), env.get("PYTHONPATH")]))
    env["AIDER_CHAT_HISTORY_FILE"] = str(projects / "weather-cli" / ".aider.chat.history.md")
    env["HERMES_HOME"] = str(tmp_path / "hermes")
    return env


def test_pip_install_registers_only_an_entry_point(example_site: Path) -> None:
    """The installed distribution declares `aider` in the hermes_sessions.plugins group."""
    (dist,) = [d for d in metadata.distributions(path=[str(example_site)])]
    assert dist.metadata["Name"] == "hermes-sessions-aider" and dist.version == "0.1.0"
    points = [(ep.group, ep.name, ep.value) for ep in dist.entry_points]
    assert points == [("hermes_sessions.plugins", "aider", "hermes_sessions_aider")]


def test_installed_sessions_appear_in_list_json(installed_env: dict[str, str], tmp_path: Path) -> None:
    """Once installed, `hermes-sessions list --json` shows the Aider sessions, no problems."""
    result = _run([sys.executable, "-m", "hermes_sessions_core.cli", "list", "--json"],
                  installed_env, ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    rows = {row["session_id"]: row for row in report["sessions"]}
    assert rows[SESSION_ID]["title"] == "add a --units flag that accepts metric or imperial, default metric"
    assert rows[SESSION_ID]["source_label"] == "Aider"
    assert rows[SESSION_ID]["resume_command"] == "aider --restore-chat-history"
    assert rows[SESSION_ID]["resume_cwd"] == str(tmp_path / "projects" / "weather-cli")
    assert "aider_weather-cli_20250315-164031" in rows
    assert [p for p in report["problems"] if p["source"] == "aider"] == []


def test_plugins_command_shows_the_distribution_and_version(installed_env: dict[str, str]) -> None:
    """`hermes-sessions plugins` lists aider as an entry point of hermes-sessions-aider 0.1.0."""
    result = _run([sys.executable, "-m", "hermes_sessions_core.cli", "plugins", "--json"],
                  installed_env, ROOT)
    assert result.returncode == 0, result.stderr
    entry = next(e for e in json.loads(result.stdout) if e["name"] == "aider")
    assert entry["status"] == "ok" and entry["origin"] == "entry point"
    assert entry["distribution"] == "hermes-sessions-aider 0.1.0"
    assert entry["writable"] is False and entry["id_prefixes"] == ["aider_"]
    table = _run([sys.executable, "-m", "hermes_sessions_core.cli", "plugins"],
                 {**installed_env, "COLUMNS": "100"}, ROOT)
    assert "hermes-sessions-aider 0.1.0" in table.stdout


def test_the_example_repository_runs_the_kit_through_the_pytest_plugin(
    installed_env: dict[str, str], tmp_path: Path
) -> None:
    """Run the example's own test suite as its author would (outside this repo's conftest):
    the kit arrives through the pytest11 entry point, and every contract passes."""
    result = _run(
        [sys.executable, "-m", "pytest", str(EXAMPLE / "tests"), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(EXAMPLE), "-c", str(EXAMPLE / "pyproject.toml")],
        installed_env, tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    listed = _run(
        [sys.executable, "-m", "pytest", str(EXAMPLE / "tests" / "test_conformance.py"),
         "--collect-only", "-q", "-p", "no:cacheprovider", "--rootdir", str(EXAMPLE),
         "-c", str(EXAMPLE / "pyproject.toml")],
        installed_env, tmp_path,
    )
    assert "TestAiderSource::test_damaged_data_gives_problems_not_exceptions" in listed.stdout
