"""Every hook call goes through pluggy's own machinery (issue 16): hook wrappers, call
monitoring and ``tryfirst``/``trylast`` work as pluggy documents, and every hook of the
contract is reached through the dispatcher by a store doing its ordinary work (datasette's
meta-test: a hook no code path calls is a hook no test can have exercised)."""

from __future__ import annotations

import shutil
import time
import types
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.hookspecs import HermesSessionsSpec, Project, hookimpl
from hermes_sessions_core.manager import make_plugin_manager

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EVERY_HOOK = sorted(
    name for name in vars(HermesSessionsSpec) if name.startswith("hermes_sessions_")
)


def _recorder(seen: list[str]) -> types.ModuleType:
    """A plugin that only wraps: one new-style wrapper per hook, noting each call."""
    plugin = types.ModuleType("recorder")
    for name in EVERY_HOOK:
        def wrapper(_name: str = name) -> Any:
            seen.append(_name)
            return (yield)

        wrapper.__name__ = name
        setattr(plugin, name, hookimpl(wrapper=True)(wrapper))
    return plugin


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Locations:
    """A Hermes home with the agent's state.db and one Claude Code transcript."""
    base = tmp_path / "hermes"
    base.mkdir()
    shutil.copyfile(FIXTURES / "agent_state_db" / "generated" / "current" / "state.db",
                    base / "state.db")
    claude = tmp_path / "claude"
    short = "-home-marco-projects-spotter/55604662-cf2a-4331-851a-ec234028f8ca.jsonl"
    (claude / short).parent.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "claude_code" / short, claude / short)
    monkeypatch.setenv("HERMES_HOME", str(base))
    yield Locations.from_environment(claude_projects_dir=claude)
    registry.forget_all()


def test_every_hook_is_called_through_the_dispatcher(home: Locations) -> None:
    seen: list[str] = []
    manager = make_plugin_manager(entry_points=False, extra_plugins=[("recorder", _recorder(seen))])
    assert not manager.load_problems
    store = SessionStore(home, plugin_manager=manager)
    session = store.new_session()
    session.title = "wrapped"
    session.messages = [{"role": "user", "content": "find the needle", "timestamp": time.time()}]
    store.save(session)
    store.forget(session.session_id)
    store.get(session.session_id)
    store.get(session.session_id)  # a cached copy asks whether it is still current
    store.read_messages(session.session_id)
    listing = store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
    agent_id = next(row.session_id for row, source in zip(listing.rows, listing.row_sources)
                    if source == "agent_state_db")
    store.count_rounds(agent_id)
    store.search("needle")
    store.rebuild_search_indexes()
    # A turn cut off before any message: its repair asks for the agent's own record (S2.38).
    interrupted = store.new_session()
    store.checkpoint_first_turn(interrupted, "are you there?", stream_id="gone")
    assert store.repair_own_stream(interrupted) and interrupted.pending_user_message is None
    # A backup whose live file is gone: the audit asks the agent store whether it knows it.
    orphan = store.new_session()
    orphan.messages = [{"role": "user", "content": f"m{i}"} for i in range(3)]
    store.save(orphan)
    orphan.messages = orphan.messages[:1]
    store.save(orphan)
    sessions = Path(home.state_dir) / "sessions"
    assert (sessions / f"{orphan.session_id}.json.bak").exists()
    (sessions / f"{orphan.session_id}.json").unlink()
    store.audit()
    store.stored_projects()
    store.replace_projects(store.stored_projects())
    store.ensure_cron_project()
    store.dispatcher.projects(store.context(), "default")
    store.delete(session.session_id)
    store.close()
    missing = sorted(set(EVERY_HOOK) - set(seen))
    assert missing == [], f"hooks no store operation reached through the dispatcher: {missing}"


def test_monitoring_and_tracing_see_the_calls(home: Locations) -> None:
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    called: list[tuple[str, list[str]]] = []
    undo = manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: called.append((name, [i.plugin_name for i in impls])),
        lambda outcome, name, impls, kwargs: None,
    )
    store = SessionStore(home, plugin_manager=manager)
    store.list_sessions()
    undo()
    assert ("hermes_sessions_source_info", ["json_fs"]) in called
    assert ("hermes_sessions_list_rows", ["json_fs"]) in called


def _projects_plugin(project_id: str, name: str, **marks: bool) -> types.ModuleType:
    """A third-party plugin offering one project, under an id another plugin may offer too."""
    plugin = types.ModuleType(name)

    def hermes_sessions_projects(context: Any, profile: str) -> list[Project]:
        return [Project(project_id=project_id, name=name, profile=profile)]

    plugin.hermes_sessions_projects = hookimpl(**marks)(hermes_sessions_projects)
    return plugin


@pytest.mark.parametrize("marks, winner", [({}, "early"), ({"tryfirst": True}, "late")])
def test_tryfirst_orders_plugins_answering_for_the_whole_store(
    home: Locations, marks: dict[str, bool], winner: str
) -> None:
    """Registration order decides which project wins an id, unless a plugin says tryfirst."""
    manager = make_plugin_manager(
        builtins=["json_fs"], entry_points=False,
        extra_plugins=[("early", _projects_plugin("p1", "early")),
                       ("late", _projects_plugin("p1", "late", **marks))],
    )
    store = SessionStore(home, plugin_manager=manager)
    projects, problems = store.dispatcher.projects(store.context(), "default")
    assert problems == []
    assert [(p.project_id, p.name) for p in projects] == [("p1", winner)]


def test_an_old_style_hookwrapper_can_change_an_answer(home: Locations) -> None:
    """A wrapper in another plugin sees the source's answer and may replace it, as pluggy's
    wrappers do: proof the call went through pluggy and not around it."""
    plugin = types.ModuleType("retitler")

    def hermes_sessions_list_rows(context: Any, request: Any) -> Any:
        outcome = yield
        listings = outcome.get_result()
        outcome.force_result([
            type(listing)(
                listing.source, tuple(row.replace(title="wrapped") for row in listing.rows),
                listing.problems,
            )
            for listing in listings
        ])

    plugin.hermes_sessions_list_rows = hookimpl(hookwrapper=True)(hermes_sessions_list_rows)
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False,
                                  extra_plugins=[("retitler", plugin)])
    store = SessionStore(home, plugin_manager=manager)
    store.save(Session(session_id="wrap00000001", title="plain",
                       messages=[{"role": "user", "content": "hi"}]))
    assert [row.get("title") for row in store.list_sessions().rows] == ["wrapped"]


def test_a_hook_wrapper_counts_as_no_answer() -> None:
    """A plugin that only wraps a hook is not asked for an answer of its own."""
    seen: list[str] = []
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False,
                                  extra_plugins=[("recorder", _recorder(seen))])
    store = SessionStore(Locations.from_environment(state_dir="/nonexistent/state"),
                         plugin_manager=manager)
    assert list(store.dispatcher.sources) == ["json_fs"]
    assert "hermes_sessions_source_info" in seen
