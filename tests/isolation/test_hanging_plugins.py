"""A plugin that hangs (S0.3): read and listing hooks wait a bounded time, then the plugin is
reported and skipped for that call; writes are never abandoned; no non-daemon thread leaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hermes_sessions_core import Session, SessionNotFound, SourceInfo, hookimpl
from hermes_sessions_core.dispatch import DEFAULT_CALL_TIMEOUT, Dispatcher, SourceTimeout
from hermes_sessions_core.manager import make_plugin_manager

from .conftest import GOOD
from .test_broken_plugins import HANGS, _cli_report, _culprit

ROOT = Path(__file__).resolve().parents[2]


def _non_daemon_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if not t.daemon}


@pytest.fixture
def hanging(install_fake):
    """The installed `hangs` plugin; its hook is released when the test ends."""
    install_fake("fake-hangs", "0.5", {"hangs": HANGS})
    yield
    module = sys.modules.get("isolation_fake_fake_hangs_hangs")
    if module is not None:
        module.release.set()


def test_a_hanging_listing_is_bounded_reported_and_skipped(hanging, install_fake, make_store) -> None:
    """The listing returns after the bound with the other sources' rows, and the hung plugin is
    a SourceTimeout problem naming its distribution and the setting to change."""
    install_fake("fake-good", "1.0", {"goodsource": GOOD.format(name="goodsource", prefix="good_")})
    threads = _non_daemon_threads()
    store = make_store(timeout=0.3)
    started = time.monotonic()
    listing = store.list_sessions()
    assert time.monotonic() - started < 3
    assert [row["title"] for row in listing.rows] == ["from goodsource"]
    (problem,) = [p for p in listing.problems if p.source == "hangs"]
    assert problem.error_type == "SourceTimeout" and problem.distribution == "fake-hangs 0.5"
    assert "0.3 s" in problem.message and "HERMES_SESSIONS_BLOCKED_PLUGINS=hangs" in problem.message
    assert _non_daemon_threads() <= threads, "a worker thread would keep the process alive"


def test_the_cli_reports_a_hanging_plugin(hanging, hermes_home) -> None:
    """`hermes-sessions plugins --timeout` probes the sources and names the one that hung."""
    entry = _culprit(_cli_report("--timeout", "0.2"), "hangs")
    assert entry["distribution"] == "fake-hangs 0.5" and "SourceTimeout" in entry["error"]


def test_a_hung_plugin_never_keeps_the_process_from_exiting(site: Path, install_fake, tmp_path: Path) -> None:
    """A real process with a plugin that sleeps for a minute prints its report and exits."""
    install_fake("fake-sleeps", "0.1", {"sleeps": HANGS.replace("release.wait(60)", "__import__('time').sleep(60)")})
    env = dict(os.environ, PYTHONPATH=str(site), HERMES_HOME=str(tmp_path / "h"))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core.cli", "plugins", "--json", "--timeout", "0.3"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=50,
    )
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    entry = next(e for e in json.loads(result.stdout) if e["plugin"] == "sleeps" and e["status"] == "failed")
    assert "did not answer hermes_sessions_list_rows within 0.3 s" in entry["error"]


class _SlowSource:
    """Unprefixed and writable: loads hang, saves are slow but must finish."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.saved: list[str] = []

    @hookimpl
    def hermes_sessions_source_info(self):
        return SourceInfo(name="slow", label="Slow", writable=True, priority=0)

    @hookimpl
    def hermes_sessions_load_session(self, session_id, metadata_only):
        self.release.wait(30)
        return None

    @hookimpl
    def hermes_sessions_read_messages(self, session_id, limit):
        self.release.wait(30)
        return None

    @hookimpl
    def hermes_sessions_save_session(self, session, skip_index):
        time.sleep(0.4)
        self.saved.append(session.session_id)
        return True


def test_reads_are_bounded_but_writes_are_not(tmp_path: Path) -> None:
    """load_session and read_messages give up after the bound (not found, one problem each);
    a save that takes longer than the bound still completes, because abandoning a write could
    lose it."""
    from hermes_sessions_core import Locations, SessionStore

    source = _SlowSource()
    manager = make_plugin_manager(builtins=(), entry_points=False, extra_plugins=[("slow", source)])
    locations = Locations.from_environment(base_home=tmp_path, state_dir=tmp_path / "w", environ={},
                                           default_workspace=tmp_path)
    store = SessionStore(locations, plugin_manager=manager, settings={"core": {"call_timeout": 0.1}})
    try:
        with pytest.raises(SessionNotFound):
            store.get("abc123")
        assert store.read_messages("abc123") is None
        hooks = sorted(p.hook for p in store.problems if p.error_type == "SourceTimeout")
        assert hooks == ["hermes_sessions_load_session", "hermes_sessions_read_messages"]
        session = Session(session_id="abc123", messages=[], _default_workspace=str(tmp_path))
        store.save(session)
        assert source.saved == ["abc123"]
    finally:
        source.release.set()


def test_the_bound_comes_from_settings_then_environment_then_default(monkeypatch) -> None:
    """Dispatcher(call_timeout=) or HERMES_SESSIONS_CALL_TIMEOUT set the process default (0 or
    "off" disable it); a store's settings {"core": {"call_timeout": N}} win per call."""
    manager = make_plugin_manager(builtins=(), entry_points=False)
    assert Dispatcher(manager).call_timeout == DEFAULT_CALL_TIMEOUT
    assert Dispatcher(manager, call_timeout=2).call_timeout == 2.0
    monkeypatch.setenv("HERMES_SESSIONS_CALL_TIMEOUT", "off")
    assert Dispatcher(manager).call_timeout is None
    monkeypatch.setenv("HERMES_SESSIONS_CALL_TIMEOUT", "1.5")
    dispatcher = Dispatcher(manager)
    assert dispatcher.call_timeout == 1.5

    class Context:
        settings = {"core": {"call_timeout": 0.25}}

    assert dispatcher._timeout_for("hermes_sessions_list_rows", Context()) == 0.25
    assert dispatcher._timeout_for("hermes_sessions_save_session", Context()) is None
    assert issubclass(SourceTimeout, TimeoutError)
