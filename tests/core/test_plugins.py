"""Plugin discovery through the `hermes_sessions.plugins` entry-point group, with fake
installed distributions on sys.path: good, broken import, invalid hook, duplicate name."""

from __future__ import annotations

import importlib
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.dispatch import Dispatcher
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


MISSPELLED_HOOK = """
from hermes_sessions_core import SessionRow, SourceInfo, SourceListing, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="typo", label="Typo", writable=False, id_prefixes=("typo_",))

@hookimpl
def hermes_sessions_list_row(request):
    return SourceListing("typo", (SessionRow.adopt({"session_id": "typo_1", "title": "never",
        "message_count": 1, "created_at": 1.0, "updated_at": 2.0, "profile": None}),))
"""

OPTIONAL_FUTURE_HOOK = GOOD + """
@hookimpl(optionalhook=True)
def hermes_sessions_from_a_later_version(context):
    return None
"""

SLOW_DESCRIPTION = """
import threading
from hermes_sessions_core import SourceInfo, hookimpl

release = threading.Event()

@hookimpl
def hermes_sessions_source_info():
    release.wait(3)
    return SourceInfo(name="sluggish", label="Sluggish", writable=False, id_prefixes=("slug_",))
"""

SLOW_PROJECTS = """
import threading
from hermes_sessions_core import hookimpl
from hermes_sessions_core.hookspecs import Project

release = threading.Event()

@hookimpl
def hermes_sessions_projects(context, profile):
    release.wait(3)
    return [Project(project_id="slow1", name="Slow", color=None, profile=profile,
                    created_at=1.0, source="slowprojects")]
"""


@pytest.fixture
def release_sleepers():
    """Wakes the fake plugins' sleeping hooks when a test ends (their threads are daemons)."""
    yield
    for name, module in list(sys.modules.items()):
        if name.startswith("fake") and hasattr(module, "release"):
            module.release.set()


def _locations(tmp_path: Path) -> Locations:
    return Locations.from_environment(base_home=tmp_path / "h", state_dir=tmp_path / "w",
                                      claude_projects_dir=tmp_path / "c", environ={})


def test_a_misspelled_hook_fails_its_plugin_and_names_the_hook(site, tmp_path):
    """Issue 13 (finding 13): a plugin implementing `hermes_sessions_list_row` (no such hook)
    is a load problem naming the hook and the right name, is not registered, and the other
    plugins still list; pluggy's own check_pending() finds nothing left to complain about."""
    install_fake(site, "fake-typo", "0.3", {"faketypo": MISSPELLED_HOOK})
    install_fake(site, "fake-good", "1.2", {"fakegood": GOOD.format(name="fakegood")})
    manager = make_plugin_manager(builtins=["json_fs"])
    (problem,) = [p for p in manager.load_problems if p.source == "faketypo"]
    assert problem.hook == "hermes_sessions_list_row"
    assert problem.distribution == "fake-typo 0.3"
    assert "did you mean 'hermes_sessions_list_rows'" in problem.message
    assert "optionalhook=True" in problem.message
    assert not manager.has_plugin("faketypo")
    manager.check_pending()
    listing = SessionStore(_locations(tmp_path), plugin_manager=manager).list_sessions()
    assert [r["title"] for r in listing.rows] == ["from fakegood"]


def test_the_plugins_command_shows_a_misspelled_hook_as_failed(site, monkeypatch, tmp_path):
    """`hermes-sessions plugins` reports the plugin as failed in the misspelled hook, with a
    hint, and never also as an ok source."""
    install_fake(site, "fake-typo", "0.3", {"faketypo": MISSPELLED_HOOK})
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "h"))
    result = CliRunner().invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    import json

    entries = [e for e in json.loads(result.stdout) if e["plugin"] == "faketypo"]
    assert [e["status"] for e in entries] == ["failed"]
    assert entries[0]["hook"] == "hermes_sessions_list_row"
    assert entries[0]["distribution"] == "fake-typo 0.3"
    assert "hermes_sessions_list_rows" in entries[0]["error"]
    table = CliRunner().invoke(app, ["plugins"], env={"COLUMNS": "200"})
    assert "failed in hermes_sessions_list_row" in table.stdout


def test_an_optional_hook_from_a_later_version_is_accepted(site):
    """An implementation marked optionalhook=True for a hook this version lacks is allowed,
    as pluggy's check_pending() allows it."""
    install_fake(site, "fake-future", "2.0",
                 {"fakefuture": OPTIONAL_FUTURE_HOOK.format(name="fakefuture")})
    manager = make_plugin_manager(builtins=())
    assert manager.load_problems == [] and manager.has_plugin("fakefuture")


def test_a_slow_source_info_costs_at_most_the_bound(site, tmp_path, monkeypatch, release_sleepers):
    """Issue 13 (finding 13): a plugin whose source_info sleeps 3 s makes building a store take
    about the bound (0.3 s here), not 3 s; it is a SourceTimeout problem with its distribution
    and the other plugins work."""
    install_fake(site, "fake-slow", "0.7", {"fakeslow": SLOW_DESCRIPTION})
    install_fake(site, "fake-good", "1.2", {"fakegood": GOOD.format(name="fakegood")})
    monkeypatch.setenv("HERMES_SESSIONS_CALL_TIMEOUT", "0.3")
    started = time.monotonic()
    store = SessionStore(_locations(tmp_path), plugin_manager=make_plugin_manager(builtins=()))
    assert time.monotonic() - started < 1.5
    (problem,) = [p for p in store.problems if p.source == "fakeslow"]
    assert problem.hook == "hermes_sessions_source_info" and problem.error_type == "SourceTimeout"
    assert problem.distribution == "fake-slow 0.7" and "0.3 s" in problem.message
    assert "sluggish" not in {s.info.name for s in store.dispatcher.ordered_sources()}
    assert [r["title"] for r in store.list_sessions().rows] == ["from fakegood"]


def test_a_dispatcher_bounds_source_info_by_the_store_settings(site, release_sleepers):
    """The store's settings {"core": {"call_timeout": N}} bound source_info too."""
    install_fake(site, "fake-slow", "0.7", {"fakeslow": SLOW_DESCRIPTION})
    manager = make_plugin_manager(builtins=())
    started = time.monotonic()
    dispatcher = Dispatcher(manager, settings={"core": {"call_timeout": 0.3}})
    assert time.monotonic() - started < 1.5
    problems = [(p.source, p.error_type) for p in dispatcher.problems]
    assert problems == [("fakeslow", "SourceTimeout")]


def test_a_store_bounds_source_info_by_its_settings(site, tmp_path, release_sleepers):
    """SessionStore(settings={"core": {"call_timeout": 0.3}}) is built in about 0.3 s next to a
    plugin whose source_info sleeps 3 s (the issue's measurement was 3.1 s)."""
    install_fake(site, "fake-slow", "0.7", {"fakeslow": SLOW_DESCRIPTION})
    manager = make_plugin_manager(builtins=())
    started = time.monotonic()
    store = SessionStore(_locations(tmp_path), plugin_manager=manager,
                         settings={"core": {"call_timeout": 0.3}})
    assert time.monotonic() - started < 1.5
    problems = [(p.source, p.hook) for p in store.problems]
    assert problems == [("fakeslow", "hermes_sessions_source_info")]


def test_a_slow_projects_hook_costs_at_most_the_bound(site, tmp_path, release_sleepers):
    """A third-party projects hook that sleeps 3 s is abandoned after the store's bound and
    reported; the built-in Cron Jobs plugin's answer stands."""
    install_fake(site, "fake-slowprojects", "0.2", {"fakeslowprojects": SLOW_PROJECTS})
    manager = make_plugin_manager(builtins=["json_fs", "cron_projects"])
    store = SessionStore(_locations(tmp_path), plugin_manager=manager,
                         settings={"core": {"call_timeout": 0.3}})
    started = time.monotonic()
    projects, problems = store.dispatcher.projects(store.context(), "default")
    assert time.monotonic() - started < 1.5
    assert "slow1" not in {p.project_id for p in projects}
    (problem,) = problems
    assert (problem.source, problem.hook, problem.error_type) == (
        "fakeslowprojects", "hermes_sessions_projects", "SourceTimeout")
    assert problem.distribution == "fake-slowprojects 0.2"


def test_pluggy_check_pending_reports_what_bypassed_registration():
    """A plugin registered on the manager directly (not through register_source) with a hook
    that has no specification is pluggy's check_pending failure: a load problem, not a raise."""
    import types

    from hermes_sessions_core.hookspecs import hookimpl
    from hermes_sessions_core.manager import _check_pending

    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    stray = types.ModuleType("stray")

    def hermes_sessions_list_row(context, request):
        return None

    stray.hermes_sessions_list_row = hookimpl(hermes_sessions_list_row)
    manager.register(stray, name="stray")
    _check_pending(manager)
    (problem,) = [p for p in manager.load_problems if p.source == "stray"]
    assert problem.hook == "check_pending" and "hermes_sessions_list_row" in problem.message
    clean = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    assert clean.load_problems == []
