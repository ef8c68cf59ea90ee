"""What Web UI recovery asks of the agent store (S2.21, S2.23-S2.25)."""

from __future__ import annotations

import json

from hermes_sessions_agent_state_db.recovery_support import (
    known_session_ids,
    webui_rows_without_files,
)
from hermes_sessions_json_fs import registry

from hermes_sessions_core import SessionStore
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.models import Session

from .helpers import AgentHome, store_over


def _webui_ids(home: AgentHome) -> list[str]:
    with home.connect() as connection:
        return [row[0] for row in connection.execute(
            "SELECT id FROM sessions WHERE lower(source) = 'webui' ORDER BY id")]


def test_known_ids_answer_per_id_and_fail_open(current, tmp_path):
    """S2.21: present ids are True, others False; a missing store answers None (fail open)."""
    some = _webui_ids(current)[0]
    assert known_session_ids(current.db, [some, "nope0000"]) == {some: True, "nope0000": False}
    assert known_session_ids(tmp_path / "missing.db", [some]) is None
    not_sqlite = tmp_path / "junk.db"
    not_sqlite.write_bytes(b"not a database" * 100)
    assert known_session_ids(not_sqlite, [some]) is None


def test_webui_rows_without_files_skip_files_and_tombstones(current):
    """S2.25: agent webui rows the Web UI store neither holds nor deleted (it says so through
    the core); messages in time order."""
    ids = _webui_ids(current)
    assert len(ids) >= 3
    with store_over(current) as store:
        store.save(Session(session_id=ids[0], title="Held"))
        store.delete(ids[1])
        offered = {s.session_id: s for s in webui_rows_without_files(
            current.locations, "default", webui_store=store.context().webui_store)}
    assert ids[0] not in offered and ids[1] not in offered
    assert set(ids[2:]) <= set(offered)
    for session in offered.values():
        stamps = [m["timestamp"] for m in session.messages]
        assert all(set(m) == {"role", "content", "timestamp"} for m in session.messages)
        assert stamps == sorted(stamps, key=lambda s: float(s) if s is not None else 0.0)
        assert session.source_tag == "webui" and session.profile == "default"


def test_audit_and_repair_materialise_agent_only_webui_sessions(current):
    """S2.23-S2.25 end to end: the audit lists missing sidecars, repair writes them once."""
    store = SessionStore(current.locations, plugin_manager=make_plugin_manager(
        builtins=["json_fs", "agent_state_db"], entry_points=False))
    try:
        with_messages = [s.session_id for s in webui_rows_without_files(current.locations, "default")
                         if s.messages]
        report = store.audit()
        sidecars = {f["session_id"] for f in report["repairable"] if f["kind"] == "state_db_missing_sidecar"}
        assert sidecars == set(with_messages)
        repaired = store.repair_safe()
        materialised = {r["session_id"] for r in repaired["repaired"] if r["action"] == "materialised"}
        assert materialised == set(with_messages)
        for session_id in materialised:
            record = json.loads((current.locations.session_dir / f"{session_id}.json").read_text())
            assert record["messages"] and record["message_count"] == len(record["messages"])
        assert not [f for f in repaired["after"]["repairable"] if f["kind"] == "state_db_missing_sidecar"]
        again = store.repair_safe()
        assert not [r for r in again["repaired"] if r["action"] == "materialised"]
    finally:
        registry.forget_all()


def test_hook_hermes_sessions_agent_transcript(tmp_path):
    """S2.38, S7.6: the agent's <profile home>/sessions/session_<id>.json, asked through the
    dispatcher: messages, tool calls, tokens and cost; nothing for a file that is missing, has
    no messages, does not parse, is not an object or is a FIFO (never blocking on it)."""
    import os

    from hermes_sessions_core import Locations

    locations = Locations.from_environment(base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
                                           environ={})
    store = SessionStore(locations, plugin_manager=make_plugin_manager(
        builtins=["json_fs", "agent_state_db"], entry_points=False))

    def write(session_id: str, content: object, profile: str = "default") -> None:
        path = locations.core_transcript(session_id, profile)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))

    try:
        write("full", {"messages": [{"role": "user", "content": "q"}], "tool_calls": [{"id": "t"}],
                       "input_tokens": 5, "estimated_cost": 0.25})
        write("other", {"messages": [{"role": "user", "content": "w"}]}, profile="work")
        write("empty", {"messages": []})
        write("junk", "{not json")
        write("list", [1, 2])
        os.mkfifo(locations.core_transcript("fifo"))
        full = store.agent_transcript("full")
        assert full is not None and full.messages == ({"role": "user", "content": "q"},)
        assert full.tool_calls == ({"id": "t"},) and full.input_tokens == 5
        assert full.output_tokens is None and full.estimated_cost == 0.25
        work = store.agent_transcript("other", "work")
        assert work is not None and work.messages[0]["content"] == "w" and work.tool_calls == ()
        assert store.agent_transcript("other") is None  # another profile's home
        for session_id in ("missing", "empty", "junk", "list", "fifo"):
            assert store.agent_transcript(session_id) is None, session_id
        assert store.problems == []
    finally:
        store.close()
