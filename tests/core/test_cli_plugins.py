"""`hermes-sessions plugins` with a third-party plugin that raises (issue 15): the plugin is
listed once, its failure in the Status column and one line below naming hook and error; no
traceback unless --verbose; --block and --json keep the same one-entry-per-plugin shape."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core.cli import app

RAISES = """
from hermes_sessions_core import SourceInfo, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="raises", label="Raises", writable=False, id_prefixes=("raises_",))

@hookimpl
def hermes_sessions_list_rows(request):
    raise RuntimeError("database is locked forever")
"""
BROKEN_IMPORT = "raise ImportError('needs the library fastcodec, which is not installed')\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private sys.path folder for fake installed distributions, and HERMES_HOME beside it."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    importlib.invalidate_caches()
    yield folder
    for name in list(sys.modules):
        if name.startswith("cliplugins_fake_"):
            del sys.modules[name]
    registry.forget_all()


def _install(site: Path, dist: str, version: str, entry_name: str, source: str) -> None:
    """A `<dist>-<version>.dist-info` folder with one entry point, as pip would leave it."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    module = f"cliplugins_fake_{entry_name}"
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    (info / "entry_points.txt").write_text(f"[hermes_sessions.plugins]\n{entry_name} = {module}\n")
    importlib.invalidate_caches()


def _report(*args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["plugins", "--json", *args])
    assert result.exit_code == 0, result.output
    report: list[dict[str, Any]] = json.loads(result.stdout)
    return report


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as its own process, so its logging is configured as a user's would be."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    return subprocess.run([sys.executable, "-m", "hermes_sessions_core", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_raising_plugin_is_listed_once_with_its_failure(site: Path) -> None:
    """Before the fix the plugin had an "enabled" row and a "failed" row; now one row says
    what it is and that it failed, and one line below names the hook and the error."""
    _install(site, "fake-raises", "2.0", "raises", RAISES)
    entries = [entry for entry in _report() if entry["plugin"] == "raises"]
    assert len(entries) == 1, entries
    (entry,) = entries
    assert entry["status"] == "failed" and entry["label"] == "Raises"
    assert entry["distribution"] == "fake-raises 2.0"
    assert entry["hook"] == "hermes_sessions_list_rows"
    assert entry["error"] == "RuntimeError: database is locked forever"
    assert entry["failures"] == [
        {"hook": entry["hook"], "error": entry["error"], "path": None}
    ]
    result = CliRunner().invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("raises\t")]
    assert rows == ["raises\tRaises\tread-only\tfake-raises 2.0\tfailed in list_rows"]
    assert (
        "✗ raises (fake-raises 2.0) failed in hermes_sessions_list_rows: "
        "RuntimeError: database is locked forever"
    ) in result.stdout.splitlines()


def test_no_traceback_without_verbose_and_one_with_it(site: Path) -> None:
    """The report is one line per failure; `--verbose` adds the log with the traceback, for
    a failing hook and for a plugin that cannot even be imported."""
    _install(site, "fake-raises", "2.0", "raises", RAISES)
    _install(site, "fake-broken", "0.1", "brokenimport", BROKEN_IMPORT)
    quiet = _run(site, "plugins")
    assert quiet.returncode == 0, quiet.stderr
    assert "Traceback (most recent call last)" not in quiet.stdout + quiet.stderr
    assert "hermes-sessions --verbose plugins" in quiet.stdout
    verbose = _run(site, "--verbose", "plugins")
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stderr.count("Traceback (most recent call last)") == 2, verbose.stderr
    assert 'raise RuntimeError("database is locked forever")' in verbose.stderr
    assert "raise ImportError('needs the library fastcodec" in verbose.stderr
    assert verbose.stdout == quiet.stdout, "--verbose changes the log, not the report"


def test_a_blocked_plugin_is_listed_once_as_blocked(site: Path) -> None:
    """--block leaves the plugin unloaded: one "blocked" entry, no failure, no probe of it."""
    _install(site, "fake-raises", "2.0", "raises", RAISES)
    entries = [entry for entry in _report("--block", "raises") if entry["plugin"] == "raises"]
    assert entries == [{
        "name": "raises", "plugin": "raises", "status": "blocked",
        "distribution": "fake-raises 2.0", "origin": "entry point",
        "module": "cliplugins_fake_raises", "failures": [],
    }]
    table = CliRunner().invoke(app, ["plugins", "--block", "raises"]).stdout
    assert "raises\t-\t-\tfake-raises 2.0\tblocked" in table.splitlines()
    assert "✗" not in table


def test_json_has_one_entry_per_plugin_in_one_shape(site: Path) -> None:
    """Every entry names its plugin, status, distribution and failures; failed entries repeat
    their first failure in hook/error; no (plugin, distribution) appears twice."""
    _install(site, "fake-raises", "2.0", "raises", RAISES)
    _install(site, "fake-broken", "0.1", "brokenimport", BROKEN_IMPORT)
    report = _report()
    keys = [(entry["plugin"], entry["distribution"]) for entry in report]
    assert len(keys) == len(set(keys)), keys
    by_name = {entry["plugin"]: entry for entry in report}
    assert {"json_fs", "raises", "brokenimport"} <= set(by_name)
    for entry in report:
        assert entry["status"] in ("ok", "failed", "blocked"), entry
        assert isinstance(entry["failures"], list)
        if entry["status"] == "failed":
            first = entry["failures"][0]
            assert (entry["hook"], entry["error"]) == (first["hook"], first["error"])
        else:
            assert entry["failures"] == []
    assert by_name["json_fs"]["status"] == "ok"
    broken = by_name["brokenimport"]
    assert broken["status"] == "failed" and "label" not in broken
    assert broken["hook"] == "import" and "fastcodec" in broken["error"]
    assert broken["distribution"] == "fake-broken 0.1"


def test_quiet_logging_covers_every_built_in_source():
    """Without --verbose a command reports each problem once, as its own warning line; the
    library's log of the same failure stays quiet for every built-in source, not only the
    first ones (codex, gemini_cli and opencode were once missing from a hand-kept list)."""
    import importlib
    import logging

    from hermes_sessions_core.builtin_plugins import BUILTIN_PLUGINS

    app_module = importlib.import_module("hermes_sessions_core.cli.app")  # not the Typer app

    loggers = {name: logging.getLogger(name) for name in
               ["hermes_sessions_core", *(module for _name, module in BUILTIN_PLUGINS)]}
    levels = {name: logger.level for name, logger in loggers.items()}
    try:
        app_module._configure_logging(verbose=False)
        assert {name: logger.level for name, logger in loggers.items()} == dict.fromkeys(
            loggers, logging.ERROR)
    finally:
        for name, level in levels.items():
            loggers[name].setLevel(level)
