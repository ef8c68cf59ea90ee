"""Plugin discovery through the `hermes_sessions.plugins` entry-point group, with fake
installed distributions on sys.path: good, broken import, invalid hook, duplicate name."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager

GOOD = """
from hermes_sessions_core import SessionRow, SourceInfo, SourceListing, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="{name}", label="Fake", writable=False, id_prefixes=("{name}_",))

@hookimpl
def hermes_sessions_list_rows(request):
    return SourceListing("{name}", (SessionRow.adopt({{"session_id": "{name}_1", "title": "from {name}",
        "message_count": 1, "created_at": 1.0, "updated_at": 2.0, "profile": None,
        "session_source": "external_agent"}}),))
"""
BROKEN_IMPORT = "raise ImportError('needs a library that is not installed')\n"
INVALID_HOOK = """
from hermes_sessions_core import hookimpl

@hookimpl
def hermes_sessions_list_rows(request, surprise_argument):
    return None
"""


def install_fake(site: Path, dist: str, version: str, plugins: dict[str, str]) -> None:
    """A `<dist>-<version>.dist-info` folder plus one module per entry point."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"  # as pip names them
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = ["[hermes_sessions.plugins]"]
    for entry_name, source in plugins.items():
        module = f"{dist}_{entry_name}_mod".replace("-", "_")
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        lines.append(f"{entry_name} = {module}")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    importlib.invalidate_caches()  # importlib.metadata caches folder listings


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    yield folder
    for name in list(sys.modules):
        if name.startswith("fake"):
            del sys.modules[name]
    registry.forget_all()


def test_discovery_isolates_every_kind_of_broken_plugin(site, tmp_path):
    """A good plugin loads; a broken import, an invalid hook and a duplicate name are
    reported with their distribution and version, and the rest still lists."""
    install_fake(site, "fake-good", "1.2", {"fakegood": GOOD.format(name="fakegood")})
    install_fake(site, "fake-broken", "0.1", {"fakebroken": BROKEN_IMPORT})
    install_fake(site, "fake-invalid", "0.2", {"fakeinvalid": INVALID_HOOK})
    install_fake(site, "fake-dupe", "3.0", {"json_fs": GOOD.format(name="dupe")})
    manager = make_plugin_manager(builtins=["json_fs"])
    problems = {p.source: p for p in manager.load_problems}
    assert set(problems) >= {"fakebroken", "fakeinvalid", "json_fs"}
    assert problems["fakebroken"].distribution == "fake-broken 0.1"
    assert "not installed" in problems["fakebroken"].message
    assert problems["fakeinvalid"].distribution == "fake-invalid 0.2"
    assert "surprise_argument" in problems["fakeinvalid"].message
    assert "already registered" in problems["json_fs"].message
    locations = Locations.from_environment(base_home=tmp_path / "h", state_dir=tmp_path / "w",
                                           claude_projects_dir=tmp_path / "c", environ={})
    listing = SessionStore(locations, plugin_manager=manager).list_sessions()
    assert [r["title"] for r in listing.rows] == ["from fakegood"]


def test_blocked_plugins_are_never_loaded(site, monkeypatch):
    """S7.9: users block a plugin by name (argument or HERMES_SESSIONS_BLOCKED_PLUGINS)."""
    install_fake(site, "fake-good", "1.2", {"fakegood": GOOD.format(name="fakegood")})
    assert not make_plugin_manager(builtins=(), blocked=["fakegood"]).has_plugin("fakegood")
    monkeypatch.setenv("HERMES_SESSIONS_BLOCKED_PLUGINS", "fakegood, other")
    manager = make_plugin_manager(builtins=())
    assert not manager.has_plugin("fakegood") and manager.load_problems == []
    assert "fakegood_mod" not in " ".join(sys.modules)


def test_cli_plugins_command_shows_the_culprit(site, monkeypatch, tmp_path):
    """`hermes-sessions plugins` lists sources and failures with distribution and cause."""
    install_fake(site, "fake-broken", "0.1", {"fakebroken": BROKEN_IMPORT})
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "h"))
    result = CliRunner().invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)
    failed = [e for e in report if e["status"] == "failed"]
    assert failed and failed[0]["name"] == "fakebroken"
    assert failed[0]["distribution"] == "fake-broken 0.1" and "not installed" in failed[0]["error"]
    assert any(e["name"] == "json_fs" and e["status"] == "ok" for e in report)
    table = CliRunner().invoke(app, ["plugins"])
    assert "fakebroken" in table.stdout and "failed" in table.stdout
