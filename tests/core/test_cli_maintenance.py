"""`hermes-sessions doctor` and `repair` on a realistic home (S2.21-S2.25, docs/maintenance.md).

The home holds Web UI sessions, the agent's state.db in two profiles (made by the fixtures'
generator, current and legacy schema; their Web UI rows have no Web UI files) and Claude Code
projects.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.cli import app, maintenance
from hermes_sessions_core.cli.findings import ACTIONS, KINDS, describe
from hermes_sessions_core.manager import make_plugin_manager

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "maintenance.md"
_FIRST = maintenance._FIRST_IDS


def _agent_store(source: Path, target: Path) -> None:
    """A copy of a state.db in rollback mode: no -wal/-shm appear beside it, so the home's
    bytes are exactly what the commands under test leave."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    connection = sqlite3.connect(target)
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()


@pytest.fixture(scope="module")
def agent_databases(tmp_path_factory) -> dict[str, Path]:
    """Two agent stores of a few hundred sessions (made once per module)."""
    folder = tmp_path_factory.mktemp("agent")
    made = {}
    for profile, schema, sessions, seed in (("default", "current", 400, 3),
                                            ("work", "legacy", 300, 4)):
        made[profile] = folder / f"{profile}.db"
        subprocess.run([sys.executable, str(FIXTURES / "agent_state_db" / "make_state_db.py"),
                        str(made[profile]), "--schema", schema, "--sessions", str(sessions),
                        "--seed", str(seed), "--journal", "delete"],
                       check=True, capture_output=True, timeout=120)
    return made


def _chat(count: int, start: float) -> list[dict]:
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": f"m{i}", "timestamp": start + i}
            for i in range(count)]


@pytest.fixture
def home(tmp_path, monkeypatch, agent_databases):
    """A Hermes home as a machine that ran the agent and the Web UI has it."""
    base = tmp_path / "hermes"
    monkeypatch.setenv("HERMES_HOME", str(base))
    monkeypatch.delenv("HERMES_WEBUI_STATE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    shutil.copytree(FIXTURES / "claude_code", tmp_path / "user" / ".claude" / "projects")
    _agent_store(agent_databases["default"], base / "state.db")
    _agent_store(agent_databases["work"], base / "profiles" / "work" / "state.db")
    store = _web_store()
    now = time.time()
    for number in range(4):
        store.save(Session(session_id=f"web{number:09d}", title=f"Web chat {number}",
                           profile="work" if number % 2 else "default",
                           messages=_chat(2, now - 3600 * number)))
    store.close()
    registry.forget_all()
    yield base
    registry.forget_all()


def _web_store() -> SessionStore:
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    return SessionStore(Locations.from_environment(), plugin_manager=manager)


def _agent_only(base: Path) -> dict[str, set[str]]:
    """Agent Web UI rows without a Web UI file, with and without messages, by the database."""
    found: dict[str, set[str]] = {"messages": set(), "empty": set()}
    for database in (base / "state.db", base / "profiles" / "work" / "state.db"):
        connection = sqlite3.connect(database)
        rows = connection.execute(
            "SELECT s.id, (SELECT count(*) FROM messages m WHERE m.session_id = s.id) "
            "FROM sessions s WHERE lower(s.source) = 'webui'").fetchall()
        connection.close()
        for session_id, count in rows:
            found["messages" if count else "empty"].add(session_id)
    return found


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the home with its bytes and modification time."""
    return {str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(root.rglob("*")) if path.is_file()}


def run(*args, **kwargs):
    return CliRunner().invoke(app, list(args), **kwargs)


def test_a_healthy_home_with_agent_only_web_ui_sessions_is_calm(home):
    """Agent Web UI sessions without a Web UI file are a normal state (renamed on compression,
    another state dir): doctor says healthy, exits 0 and explains them once, with a count."""
    agent_only = _agent_only(home)
    assert len(agent_only["messages"]) > _FIRST and agent_only["empty"]
    result = run("doctor")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Healthy: nothing needs repair or review" in text
    assert f"state_db_missing_sidecar: {len(agent_only['messages'])} (" in text
    assert f"state_db_orphan_webui_row: {len(agent_only['empty'])}" in text
    assert text.count(KINDS["state_db_missing_sidecar"].meaning[:40]) == 1
    hidden = len(agent_only["messages"]) - _FIRST
    assert f"... and {hidden} more (--all lists every id)" in text
    assert "error" not in result.output.lower() and "warning" not in result.output.lower()
    every = run("doctor", "--all").stdout
    assert all(session_id in every for session_id in agent_only["messages"])
    assert "more (--all" not in every



def _every_kind(base: Path) -> None:
    """Add one finding of each kind json_fs reports to the home."""
    sessions = base / "webui" / "sessions"
    store = _web_store()
    shrunk = Session(session_id="shrunk000001", title="shrunk", messages=_chat(6, 1e9))
    store.save(shrunk)
    shrunk.messages = shrunk.messages[:2]
    shrunk.save()
    gone = Session(session_id="gone00000001", title="gone", messages=_chat(2, 1e9))
    store.save(gone)
    store.close()
    registry.forget_all()
    (sessions / "gone00000001.json").unlink()  # index_missing_file
    connection = sqlite3.connect(base / "state.db")
    (known,) = connection.execute("SELECT id FROM sessions WHERE source = 'cli' LIMIT 1").fetchone()
    connection.close()
    record = {"session_id": known, "title": "t", "created_at": 1, "updated_at": 2,
              "messages": _chat(3, 1e9)}
    (sessions / f"{known}.json.bak").write_text(json.dumps(record))  # orphan_backup
    record = dict(record, session_id="unknown00001")
    (sessions / "unknown00001.json.bak").write_text(json.dumps(record))  # ..._without_state_row
    (sessions / "badorphan001.json.bak").write_bytes(b"{nope")  # malformed_orphan_backup
    (sessions / "broken000001.json").write_bytes(b"\xff\xfe")  # unreadable_live
    record = dict(record, session_id="unlisted0001")
    (sessions / "unlisted0001.json").write_text(json.dumps(record))  # index_missing_entry


def test_every_finding_kind_is_explained_in_text_and_json(home):
    """Each kind: one plain-words explanation (meaning, harm, what repair does) in the text,
    the same in every JSON finding as `explanation`, with its `severity`."""
    _every_kind(home)
    data = json.loads(run("doctor", "--json").stdout)
    findings = [f for group in ("repairable", "unsafe", "reported") for f in data[group]]
    assert {f["kind"] for f in findings} == set(KINDS)
    for finding in findings:
        entry = KINDS[finding["kind"]]
        assert finding["explanation"] == entry.explanation and finding["severity"] == entry.severity
    result = run("doctor")
    assert result.exit_code == 1, result.output
    flat = " ".join(result.stdout.split())
    for entry in KINDS.values():
        assert re.search(rf"^{entry.kind}: \d+", result.stdout, re.M), entry.kind
        assert entry.meaning in flat and entry.harm in flat, entry.kind
    assert "Needs repair:" in flat and "Needs review:" in flat
    assert "broken000001 path=" in flat  # review findings show where to look
    assert max(len(line) for line in result.stdout.splitlines() if str(home) not in line) <= 80


def test_doctor_json_keeps_every_key_and_adds_healthy(home):
    """Existing keys (S2.23) stay as they were; `healthy` and per-finding fields are added."""
    data = json.loads(run("doctor", "--json").stdout)
    assert {"status", "summary", "repairable", "unsafe", "reported", "healthy"} <= set(data)
    assert data["status"] == "needs_manual_review"  # the store's S2.23 status, unchanged
    assert data["healthy"] is True and data["summary"]["ok"] == 4


def test_a_kind_without_an_entry_gets_a_generic_explanation():
    """Another writable store's kinds are still explained and never count as healthy."""
    entry = describe("turn_journal_pending_turn", "reported")
    assert entry.severity == "review" and "turn_journal_pending_turn" in entry.explanation
    assert describe("something_new", "repairable").severity == "problem"


def test_repair_dry_run_prints_the_plan_and_writes_nothing(home, tmp_path):
    agent_only = _agent_only(home)
    before = _snapshot(tmp_path)
    result = run("repair", "--dry-run")
    assert result.exit_code == 0, result.output
    count = len(agent_only["messages"])
    assert f"- materialise {count} sessions: {ACTIONS['materialise']}" in result.stdout
    assert ACTIONS["rebuild_index"] in result.stdout
    assert f"Left alone: {len(agent_only['empty'])} state_db_orphan_webui_row" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    assert _snapshot(tmp_path) == before


def test_repair_without_a_terminal_asks_for_yes_and_writes_nothing(home, tmp_path):
    """Piped or scripted, repair cannot ask: it prints the plan, changes nothing, exits 2."""
    before = _snapshot(tmp_path)
    result = run("repair")
    assert result.exit_code == 2, result.output
    assert "Repair plan for" in result.stdout and "rerun with --yes" in result.stderr
    assert _snapshot(tmp_path) == before
    as_json = run("repair", "--json")  # --json never prompts
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["applied"] is False
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("answer", ["n\n", "\n"])
def test_a_declined_prompt_writes_nothing(home, tmp_path, monkeypatch, answer):
    monkeypatch.setattr(maintenance, "_stdin_is_terminal", lambda: True)
    count = len(_agent_only(home)["messages"]) + 1  # and one index rebuild
    before = _snapshot(tmp_path)
    result = run("repair", input=answer)
    assert result.exit_code == 1, result.output
    assert f"Apply {count} repairs? [y/N]" in result.stdout
    assert "Nothing was changed." in result.stdout
    assert _snapshot(tmp_path) == before


def test_an_accepted_prompt_applies_the_plan(home, monkeypatch):
    monkeypatch.setattr(maintenance, "_stdin_is_terminal", lambda: True)
    agent_only = _agent_only(home)
    result = run("repair", input="y\n")
    assert result.exit_code == 0, result.output
    assert f"Done: {len(agent_only['messages'])} materialised, index rebuilt." in result.stdout
    files = {p.name[:-5] for p in (home / "webui" / "sessions").glob("*.json")}
    assert agent_only["messages"] <= files and not agent_only["empty"] & files


def test_repair_yes_applies_and_exits_0_with_only_informational_findings_left(home):
    """Left-alone rows without messages are normal: a complete repair exits 0, and so do the
    next doctor and repair."""
    result = run("repair", "--yes")
    assert result.exit_code == 0, result.output
    assert "Healthy: nothing needs repair or review" in result.stdout
    assert run("doctor").exit_code == 0
    again = run("repair")
    assert again.exit_code == 0 and "Nothing to repair." in again.stdout


def test_repair_json_keeps_the_report_keys_and_explains_findings(home):
    dry = json.loads(run("repair", "--json", "--dry-run").stdout)
    assert dry["applied"] is False
    actions = dry["plan"]["actions"]
    assert {a["action"] for a in actions} == {"materialise", "rebuild_index"}
    assert all(f["explanation"] for f in dry["plan"]["audit"]["unsafe"])
    result = run("repair", "--json", "--yes")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"ok", "repaired", "before", "after", "plan", "applied"} <= set(data)
    assert data["applied"] is True and data["after"]["healthy"] is True
    assert data["ok"] is False  # S2.24: the empty agent rows are left, by design
    done = [r["session_id"] for r in data["repaired"] if r["action"] == "materialised"]
    assert sorted(done) == sorted(a["session_id"] for a in actions if a["action"] == "materialise")


def test_repair_applies_only_the_approved_plan(home):
    """A repair given a plan does what the plan says and nothing that became repairable
    after it was shown; planned actions no longer needed are reported as such."""
    _agent_store(FIXTURES / "agent_state_db" / "generated" / "minimal" / "state.db",
                 home / "profiles" / "work" / "state.db")  # keep the plan small and stable
    store = SessionStore(Locations.from_environment())
    plan = store.repair_plan()
    planned = {a["session_id"] for a in plan["actions"] if a["action"] == "materialise"}
    assert planned
    late = Session(session_id="late00000001", title="late", messages=_chat(6, 1e9))
    store.save(late)
    late.messages = late.messages[:1]
    late.save()  # shrunk after the plan was made: not approved
    skipped = sorted(planned)[0]
    (home / "webui" / "sessions" / f"{skipped}.json").write_text(
        json.dumps({"session_id": skipped, "title": "t", "created_at": 1, "updated_at": 2,
                    "messages": _chat(1, 1e9)}))
    report = store.repair_safe(plan=plan)
    store.close()
    done = {r["session_id"]: r["action"] for r in report["repaired"]}
    assert "late00000001" not in done
    assert done[skipped] == "not_needed"
    assert {s for s, a in done.items() if a == "materialised"} == planned - {skipped}
    assert [f["kind"] for f in report["after"]["repairable"]] == ["shrunken_live"]


def test_docs_describe_every_kind_action_and_exit_code():
    """docs/maintenance.md has a row per finding kind with its severity, and every action."""
    text = DOCS.read_text(encoding="utf-8")
    for entry in KINDS.values():
        assert f"| `{entry.kind}` | {entry.severity} |" in text, entry.kind
    for action in ACTIONS:
        assert f"`{action}`" in text, action
