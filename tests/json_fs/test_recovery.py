"""Startup recovery, the audit and safe repair (S2.20-S2.26), on every backend."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hermes_sessions_core import Session, SourceInfo, SourceListing, hookimpl
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager

from .conftest import chat


class FakeAgentStore:
    """An agent store that knows some ids and holds some agent-only Web UI sessions."""

    def __init__(self, known=None, sidecars=None, answers=True):
        self.known = set(known or ())
        self.sidecars = list(sidecars or ())
        self.answers = answers

    @hookimpl
    def hermes_sessions_source_info(self):
        return SourceInfo(name="agent_state_db", label="Agent", writable=False, priority=50)

    @hookimpl
    def hermes_sessions_list_rows(self, request):
        return SourceListing("agent_state_db", ())

    @hookimpl
    def hermes_sessions_has_sessions(self, profile, session_ids):
        if not self.answers:
            return None  # missing, locked or old-schema store: callers fail open
        return {sid: sid in self.known for sid in session_ids}

    @hookimpl
    def hermes_sessions_recoverable_sessions(self, profile):
        return [Session.from_record(record, default_workspace="/tmp") for record in self.sidecars]


@pytest.fixture
def agent_store_of(make_store):
    def build(agent):
        manager = make_plugin_manager(builtins=["json_fs"], entry_points=False,
                                      extra_plugins=[("agent_state_db", agent)])
        return make_store(plugin_manager=manager)

    return build


def _session(store, count, **fields):
    session = Session(title="chat", messages=chat(count), **fields)
    store.save(session)
    return session


def _count(backend, session_id):
    return len(json.loads(backend.read_bytes(f"{session_id}.json"))["messages"])


def test_clean_store_is_left_byte_identical(store, backend):
    """S2.22: nothing to recover changes nothing, and repeated runs change nothing more."""
    _session(store, 3)
    store.close()
    before = {name: backend.read_bytes(name) for name in backend.names() if name not in ("_index.d", "_writers", "_locks")}
    report = store.recover_on_startup()
    assert report == {"scanned": 1, "restored": 0, "orphaned_backups": 0, "details": []}
    assert store.recover_on_startup()["restored"] == 0
    after = {name: backend.read_bytes(name) for name in backend.names() if name not in ("_index.d", "_writers", "_locks")}
    assert after == before


def test_shrunken_live_file_is_restored_and_index_rebuilt(store, backend):
    """S2.21: a live file with fewer messages than its readable backup is restored."""
    session = _session(store, 10)
    session.messages = session.messages[:2]
    session.save()
    assert _count(backend, session.session_id) == 2
    report = store.recover_on_startup()
    assert report["restored"] == 1 and report["orphaned_backups"] == 0
    assert _count(backend, session.session_id) == 10
    (row,) = store.list_sessions().rows
    assert row["message_count"] == 10
    assert store.get(session.session_id).messages == chat(10)


def test_deliberate_shrinks_are_never_undone(store, backend):
    """S2.20, S8.5: clear/truncate/retry/undo raise the generation; recovery respects it."""
    session = _session(store, 10)
    session.declare_shrink()
    session.messages = session.messages[:3]
    session.save()
    assert backend.exists(f"{session.session_id}.json.bak")
    assert store.recover_on_startup()["restored"] == 0
    assert _count(backend, session.session_id) == 3
    assert store.audit()["status"] == "ok"


def test_unreadable_live_file_with_backup_is_restored_and_kept_aside(store, backend):
    """S2.21, S2.18: an unreadable live file counts as -1; its bytes are kept aside."""
    session = _session(store, 4)
    session.messages = session.messages[:1]
    session.save()
    backend.write_bytes(f"{session.session_id}.json", b"{torn")
    assert store.recover_on_startup()["restored"] == 1
    assert _count(backend, session.session_id) == 4
    assert [n for n in backend.names() if ".corrupt." in n]


def test_orphan_backups_follow_tombstones_and_the_agent_store(agent_store_of, backend):
    """S2.21, S2.26: an orphan backup is restored if the agent store has the id or cannot tell;
    skipped if tombstoned or if the readable agent store lacks it."""
    store = agent_store_of(FakeAgentStore(known={"known0000001"}))
    for session_id in ("known0000001", "unknown00001", "deleted00001"):
        backend.write_bytes(f"{session_id}.json.bak", json.dumps(
            {"session_id": session_id, "title": "t", "created_at": 1, "updated_at": 2,
             "messages": chat(3)}).encode())
    store.save(Session(session_id="deleted00001", title="x", messages=chat(1)))
    store.delete("deleted00001")
    backend.write_bytes("deleted00001.json.bak", b'{"session_id": "deleted00001", "messages": []}')
    report = store.recover_on_startup()
    assert report["orphaned_backups"] == 1
    assert [d["session_id"] for d in report["details"]] == ["known0000001"]
    assert not backend.exists("unknown00001.json") and not backend.exists("deleted00001.json")
    failing_open = agent_store_of(FakeAgentStore(answers=False))
    assert failing_open.recover_on_startup()["orphaned_backups"] == 1
    assert backend.exists("unknown00001.json")


def test_audit_groups_findings_and_writes_nothing(agent_store_of, backend):
    """S2.23: repairable, unsafe and reported groups; status; summary.ok counts live files."""
    sidecar = {"session_id": "side00000001", "title": "From agent", "messages": chat(2),
               "source_tag": "webui"}
    empty_sidecar = {"session_id": "side00000002", "title": "Empty", "messages": []}
    store = agent_store_of(FakeAgentStore(known=set(), sidecars=[sidecar, empty_sidecar]))
    shrunk = _session(store, 5)
    shrunk.messages = shrunk.messages[:1]
    shrunk.save()
    _session(store, 2)
    backend.write_bytes("orphan000001.json.bak", json.dumps(
        {"session_id": "orphan000001", "messages": chat(2)}).encode())
    backend.write_bytes("badorphan001.json.bak", b"{nope")
    backend.write_bytes("broken000001.json", b"\xff\xfe")
    before = {n: backend.read_bytes(n) for n in backend.names() if "." in n and n not in ("_index.d", "_writers", "_locks")}
    report = store.audit()
    kinds = {group: sorted(f["kind"] for f in report[group]) for group in ("repairable", "unsafe", "reported")}
    assert "shrunken_live" in kinds["repairable"] and "state_db_missing_sidecar" in kinds["repairable"]
    assert "index_missing_entry" in kinds["repairable"]
    assert kinds["unsafe"] == ["malformed_orphan_backup", "orphan_backup_without_state_row",
                               "state_db_orphan_webui_row"]
    assert kinds["reported"] == ["unreadable_live"]
    assert report["status"] == "needs_manual_review"
    assert report["summary"]["ok"] == 2
    assert {n: backend.read_bytes(n) for n in backend.names() if "." in n and n not in ("_index.d", "_writers", "_locks")} == before


def test_repair_applies_only_safe_repairs(agent_store_of, backend):
    """S2.24, S2.25: restore, materialise (title and model defaults), rebuild, audit again;
    unsafe items left alone."""
    sidecar = {"session_id": "side00000001", "title": "", "model": None, "messages": chat(2),
               "source_tag": "webui", "raw_source": "webui", "parent_session_id": "p1"}
    store = agent_store_of(FakeAgentStore(known=set(), sidecars=[sidecar]))
    shrunk = _session(store, 6)
    shrunk.messages = shrunk.messages[:2]
    shrunk.save()
    backend.write_bytes("orphan000001.json.bak", json.dumps(
        {"session_id": "orphan000001", "messages": chat(2)}).encode())
    report = store.repair_safe()
    actions = sorted(item["action"] for item in report["repaired"])
    assert actions == ["materialised", "restored"]
    record = json.loads(backend.read_bytes("side00000001.json"))
    assert record["title"] == "Recovered WebUI Session" and record["model"] == "unknown"
    assert record["parent_session_id"] == "p1" and record["message_count"] == 2
    assert _count(backend, shrunk.session_id) == 6
    assert not backend.exists("orphan000001.json")
    assert report["ok"] is False and report["after"]["status"] == "needs_manual_review"
    assert [f["kind"] for f in report["after"]["unsafe"]] == ["orphan_backup_without_state_row"]
    listed = {r["session_id"] for r in store.list_sessions().rows}
    assert {"side00000001", shrunk.session_id} <= listed


def test_cli_doctor_and_repair(tmp_path, monkeypatch):
    """`hermes-sessions doctor` audits (exit 1 with findings, --json); `repair --yes` fixes
    (docs/maintenance.md has the prompt, --dry-run and the rest)."""
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    monkeypatch.setenv("HERMES_WEBUI_STATE_DIR", str(tmp_path / "webui"))
    from hermes_sessions_core import Locations, SessionStore

    store = SessionStore(Locations.from_environment(),
                         plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))
    session = _session(store, 5)
    session.messages = session.messages[:1]
    session.save()
    store.close()
    runner = CliRunner()
    doctor = runner.invoke(app, ["doctor", "--json"])
    assert doctor.exit_code == 1
    assert json.loads(doctor.stdout)["repairable"][0]["kind"] == "shrunken_live"
    human = runner.invoke(app, ["doctor"])
    assert "shrunken_live" in human.stdout and "Needs repair" in human.stdout
    repair = runner.invoke(app, ["repair", "--yes"])
    assert repair.exit_code == 0, repair.output
    assert "restored" in repair.stdout
    assert runner.invoke(app, ["doctor"]).exit_code == 0
