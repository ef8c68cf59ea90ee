"""import_cli_session (S3.24, S3.25) and the messaging merge (S3.26)."""

from __future__ import annotations

import json

from hermes_sessions_core import compat

from .conftest import HermesHome

TELEGRAM = "20261123_212026_f91284f9"
CRON = "cron_5afbaeed357d_20261123_212026"
NGINX = "20261123_212026_e3f24c"


def _stored(home: HermesHome, session_id: str) -> dict:
    return json.loads((home.sessions / f"{session_id}.json").read_text(encoding="utf-8"))


def test_import_keeps_timestamps_workspace_and_parent(home: HermesHome) -> None:
    """S3.24: both timestamps kept without a bump; workspace from the last workspace when the
    row has no cwd; parent_session_id stored and shown in the row."""
    last = home.workspace / "last"
    last.mkdir()
    compat.configure(last_workspace=lambda: str(last))
    messages = compat.get_cli_session_messages(NGINX)
    session = compat.import_cli_session(NGINX, "Nginx", messages, model="m", created_at=100.0,
                                        updated_at=200.0, parent_session_id="parent0000001")
    stored = _stored(home, NGINX)
    assert (stored["created_at"], stored["updated_at"]) == (100.0, 200.0)
    assert stored["workspace"] == str(last) and stored["parent_session_id"] == "parent0000001"
    assert stored["source_tag"] == "cli" and stored["is_cli_session"] is True
    assert len(stored["messages"]) == 4 and session.title == "Nginx"
    row = next(r for r in compat.all_sessions() if r["session_id"] == NGINX)
    assert row["parent_session_id"] == "parent0000001"


def test_reimport_replaces_only_a_prefix_or_tool_metadata(home: HermesHome) -> None:
    """S3.25: a longer transcript starting with the stored one replaces it (int and float times
    equal); an unrelated one does not; equal length with only tool metadata added does."""
    first = [{"role": "user", "content": "hi", "timestamp": 10}]
    compat.import_cli_session(NGINX, "T", first, created_at=1.0, updated_at=2.0)
    longer = [{"role": "user", "content": "hi", "timestamp": 10.0},
              {"role": "assistant", "content": "yo", "timestamp": 11.0}]
    compat.import_cli_session(NGINX, "T", longer, created_at=1.0, updated_at=3.0)
    assert len(_stored(home, NGINX)["messages"]) == 2
    other = [{"role": "user", "content": "different", "timestamp": 5.0}] * 3
    compat.import_cli_session(NGINX, "T", other, created_at=1.0, updated_at=4.0)
    assert _stored(home, NGINX)["messages"][0]["content"] == "hi"
    with_tools = [dict(longer[0]), dict(longer[1], tool_calls=[{"id": "c1"}])]
    compat.import_cli_session(NGINX, "T", with_tools, created_at=1.0, updated_at=5.0)
    assert _stored(home, NGINX)["messages"][1]["tool_calls"] == [{"id": "c1"}]
    assert _stored(home, NGINX)["created_at"] == 1.0


def test_reimport_fills_missing_fields_without_a_bump(home: HermesHome) -> None:
    """S3.25: missing source fields and parent_session_id are filled; updated_at stays."""
    compat.import_cli_session(NGINX, "T", [], created_at=1.0, updated_at=2.0)
    session = compat.get_session(NGINX)
    session.source_tag = None
    session.save(touch_updated_at=False)
    compat.import_cli_session(NGINX, "T", [], parent_session_id="p0000000001")
    stored = _stored(home, NGINX)
    assert stored["source_tag"] == "cli" and stored["parent_session_id"] == "p0000000001"
    assert stored["updated_at"] == 2.0


def test_cron_import_joins_cron_jobs_and_messaging_keeps_identity(home: HermesHome) -> None:
    """S3.25: a cron import creates/joins the profile's Cron Jobs project (#5379 allows it);
    a messaging import keeps user_id, chat_id, session_key (#1079)."""
    compat.import_cli_session(CRON, "cron", compat.get_cli_session_messages(CRON))
    cron_id = _stored(home, CRON)["project_id"]
    projects = json.loads(home.projects.read_text(encoding="utf-8"))
    assert [p["project_id"] for p in projects if p["name"] == "Cron Jobs"] == [cron_id]
    compat.import_cli_session(TELEGRAM, "tg", compat.get_cli_session_messages(TELEGRAM))
    stored = _stored(home, TELEGRAM)
    assert stored["session_source"] == "messaging" and stored["user_id"]
    assert stored["session_key"].startswith("agent:main:telegram:dm:")


def test_messaging_merge_by_time_and_identity() -> None:
    """S3.26: merged by time; same id once; without ids, role+content+time+tool decide; two
    different ids with the same text both stay."""
    agent = [{"role": "user", "content": "a", "timestamp": 1.0},
             {"role": "assistant", "content": "b", "timestamp": 3.0, "id": "m2"},
             {"role": "user", "content": "same", "timestamp": 5.0, "id": "x1"}]
    webui = [{"role": "user", "content": "a", "timestamp": 1},
             {"role": "assistant", "content": "b (edited)", "timestamp": 3.0, "id": "m2"},
             {"role": "user", "content": "from web", "timestamp": 2.0},
             {"role": "user", "content": "same", "timestamp": 5.0, "id": "x2"}]
    merged = compat.merge_messaging_transcripts(agent, webui)
    assert [m["content"] for m in merged] == ["a", "from web", "b", "same", "same"]


def test_messaging_detail_view_merges_the_webui_copy(home: HermesHome) -> None:
    agent = compat.get_cli_session_messages(TELEGRAM)
    extra = {"role": "user", "content": "sent from the web", "timestamp": agent[-1]["timestamp"] + 1}
    compat.import_cli_session(TELEGRAM, "tg", agent)
    session = compat.get_session(TELEGRAM)
    session.messages.append(extra)
    session.save()
    merged = compat.get_messaging_session_messages(TELEGRAM)
    assert len(merged) == len(agent) + 1 and merged[-1]["content"] == "sent from the web"
