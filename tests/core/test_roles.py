"""Roles follow the capabilities sources claim, never plugin names (STYLE 11, issue 16).

A third-party writable store takes the Web UI store's role and a third-party agent store the
agent store's, with the built-in ones absent: saves, the sidebar's merge and agent switch, the
facts other plugins ask for (the project back-fill) all follow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hermes_sessions_core import SessionStore
from hermes_sessions_core.hookspecs import ListRequest, SourceContext, StoredSession, hookimpl
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.models import (
    ROLE_AGENT_STORE,
    ROLE_WEBUI_STORE,
    Session,
    SessionRow,
    SourceInfo,
    SourceListing,
)

SHARED = "shared000001"  # held by both stores: the Web UI store's row wins


def _row(session_id: str, source: str, **fields: Any) -> SessionRow:
    return SessionRow.adopt({
        "session_id": session_id, "title": f"{source} {session_id}", "message_count": 2,
        "created_at": 1763900000.0, "updated_at": 1763900100.0, "profile": "default",
        **fields,
    })


class KeyValueStore:
    """A writable store kept in a dict, claiming the Web UI store's role."""

    def __init__(self) -> None:
        self.saved: dict[str, Session] = {}

    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="kv_store", label="KV", writable=True, priority=0,
                          roles=frozenset({ROLE_WEBUI_STORE}))

    @hookimpl
    def hermes_sessions_list_rows(self, context: SourceContext, request: ListRequest) -> SourceListing:
        rows = [_row(SHARED, "kv", title="Renamed in the Web UI")]
        rows += [_row(s.session_id, "kv") for s in self.saved.values()]
        return SourceListing("kv_store", tuple(rows))

    @hookimpl
    def hermes_sessions_save_session(self, context: SourceContext, session: Session) -> bool:
        self.saved[session.session_id] = session
        return True

    @hookimpl
    def hermes_sessions_stored_sessions(
        self, profile: str | None, session_ids: frozenset[str] | None
    ) -> list[StoredSession]:
        return [StoredSession(SHARED, "work", "p1legacy0001", 1763900100.0)]

    @hookimpl
    def hermes_sessions_deleted_ids(self) -> frozenset[str]:
        return frozenset({"gone00000001"})


class OtherAgent:
    """A read-only agent store, claiming the agent store's role."""

    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="other_agent", label="Other", writable=False, priority=50,
                          roles=frozenset({ROLE_AGENT_STORE}))

    @hookimpl
    def hermes_sessions_list_rows(self) -> SourceListing:
        rows = (_row(SHARED, "agent"), _row("agentonly001", "agent"))
        return SourceListing("other_agent", rows)


def _store(tmp_path: Path, **options: Any) -> tuple[SessionStore, KeyValueStore]:
    state = tmp_path / "webui"
    state.mkdir(exist_ok=True)
    (state / "projects.json").write_text(
        json.dumps([{"project_id": "p1legacy0001", "name": "Legacy"}]), encoding="utf-8")
    locations = Locations.from_environment(base_home=tmp_path, state_dir=state, environ={})
    kv = KeyValueStore()
    manager = make_plugin_manager(
        builtins=["cron_projects"], entry_points=False,
        extra_plugins=[("kv_store", kv), ("other_agent", OtherAgent())],
    )
    return SessionStore(locations, plugin_manager=manager, **options), kv


def test_saves_and_the_sidebar_follow_the_roles(tmp_path: Path) -> None:
    """The Web UI store's role takes saves and wins the merge; the agent role follows the
    agent switch, whatever the sources are called."""
    store, kv = _store(tmp_path)
    session = store.new_session()
    session.title = "saved"
    session.messages.append({"role": "user", "content": "hi", "timestamp": 1763900000})
    session.save()
    assert session.session_id in kv.saved
    listing = store.list_sessions()
    sources = dict(zip((row.session_id for row in listing.rows), listing.row_sources))
    assert sources == {SHARED: "kv_store", "agentonly001": "other_agent",
                       session.session_id: "kv_store"}
    hidden = _store(tmp_path, show_cli_sessions=False)[0]
    assert not hidden.source_enabled("other_agent") and hidden.source_enabled("kv_store")
    assert "agentonly001" not in {row.session_id for row in hidden.list_sessions().rows}


def test_other_plugins_ask_the_store_with_the_role(tmp_path: Path) -> None:
    """The project back-fill and every plugin's ``context.webui_store`` reach the store that
    claims the role."""
    store, _kv = _store(tmp_path)
    facts = store.context().webui_store
    assert facts is not None and facts.deleted_ids() == {"gone00000001"}
    assert [p["profile"] for p in store.stored_projects()] == ["work"]
