"""Cron rows' Cron Jobs project comes from the plugin that keeps projects (S5.6, STYLE 11).

The agent store never reads the projects file: it asks ``context.projects``, which the core
answers from the keeper's ``hermes_sessions_cron_project_id``. Its listing cache is keyed on
that answer, so it follows the project appearing or changing, and only that.
"""

from __future__ import annotations

from typing import Any

from hermes_sessions_agent_state_db import listing

from hermes_sessions_core import SessionStore
from hermes_sessions_core.hookspecs import SourceContext, hookimpl
from hermes_sessions_core.manager import make_plugin_manager

from .helpers import AgentHome, agent_rows_through, store_over

CRON = "cron_5afbaeed357d_20261123_212026"
KEEPER = ("json_fs", "agent_state_db", "cron_projects")


def _cron_project(store: SessionStore) -> Any:
    return agent_rows_through(store)[CRON]["project_id"]


def test_the_cached_listing_follows_the_cron_jobs_project(real_small: AgentHome) -> None:
    """A cached agent listing shows the Cron Jobs project once it exists and when its id
    changes; a change to another project leaves the cache alone (the key is the answer)."""
    with store_over(real_small, builtins=KEEPER,
                    settings={"agent_state_db": {"cache_ttl": 60.0}}) as store:
        assert _cron_project(store) is None
        assert _cron_project(store) is None  # sidecar files now exist: the key is stable
        builds = listing._CACHE.builds
        assert _cron_project(store) is None and listing._CACHE.builds == builds
        created = store.ensure_cron_project("default")
        assert _cron_project(store) == created
        assert listing._CACHE.builds == builds + 1
        other = {"project_id": "other0000001", "name": "Other", "profile": "default"}
        store.replace_projects([*store.stored_projects(), other])
        assert _cron_project(store) == created
        assert listing._CACHE.builds == builds + 1
        moved = [
            {**project, "project_id": "feedfeedfeed"} if project["project_id"] == created
            else project
            for project in store.stored_projects()
        ]
        store.replace_projects(moved)
        assert _cron_project(store) == "feedfeedfeed"
        assert listing._CACHE.builds == builds + 2


def test_opening_a_cron_session_carries_its_project(real_small: AgentHome) -> None:
    """An agent cron session opened by id is in the project its row shows (S3.18, S5.6)."""
    with store_over(real_small, builtins=KEEPER) as store:
        created = store.ensure_cron_project("default")
        session = store.get(CRON, metadata_only=True)
        assert session.project_id == created


class Keeper:
    """A third-party projects keeper that knows one Cron Jobs project per profile."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    @hookimpl
    def hermes_sessions_cron_project_id(self, context: SourceContext, profile: str) -> Any:
        self.asked.append(profile)
        answer = self.answers.get(profile)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _store(home: AgentHome, *keepers: tuple[str, Keeper]) -> SessionStore:
    manager = make_plugin_manager(
        builtins=["json_fs", "agent_state_db"], entry_points=False, extra_plugins=list(keepers)
    )
    return SessionStore(home.locations, plugin_manager=manager,
                        settings={"agent_state_db": {"cache_ttl": 0.0}})


def test_a_third_party_keeper_answers_instead(real_small: AgentHome) -> None:
    """Without cron_projects, whichever plugin keeps projects names the Cron Jobs project;
    the projects file is not looked at (there is none), and one listing asks once."""
    keeper = Keeper({"default": "keeper000001"})
    store = _store(real_small, ("keeper", keeper))
    try:
        assert _cron_project(store) == "keeper000001"
        assert keeper.asked == ["default"]
        assert store.problems == []
    finally:
        store.close()
    assert not real_small.state_dir.joinpath("projects.json").exists()


def test_a_broken_keeper_is_reported_and_the_next_one_answers(real_small: AgentHome) -> None:
    """A keeper that raises or answers something that is not a project id is reported; the
    next keeper answers, and the listing never fails."""
    raising = Keeper({"default": RuntimeError("projects database is down")})
    malformed = Keeper({"default": "../../etc"})
    good = Keeper({"default": "keeper000002"})
    store = _store(real_small, ("raising", raising), ("malformed", malformed), ("good", good))
    try:
        assert _cron_project(store) == "keeper000002"
        reported = {(p.source, p.hook, p.error_type) for p in store.problems}
        assert reported == {
            ("raising", "hermes_sessions_cron_project_id", "RuntimeError"),
            ("malformed", "hermes_sessions_cron_project_id", "InvalidProjectId"),
        }
    finally:
        store.close()
    alone = _store(real_small, ("raising", Keeper({"default": RuntimeError("down")})))
    try:
        assert _cron_project(alone) is None
        assert [p.error_type for p in alone.problems] == ["RuntimeError"]
    finally:
        alone.close()
