"""A full Hermes home in the original's formats, and the compat module pointed at it.

Everything is written by hand in the bytes today's Web UI writes (session files, ``_index.json``,
``projects.json``); ``state.db`` and the Claude Code folder are copies of the shared fixtures.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core import compat

from ..original_format import ORIGINAL_METADATA_ORDER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLAUDE_FOLDERS = ("-tmp-private", "-Users-pete-tmp-claude-code-sessions")



def original_file(**values: Any) -> dict[str, Any]:
    """A session object as the original's ``save()`` wrote it: metadata, messages, tool_calls."""
    defaults: dict[str, Any] = {
        "title": "Untitled", "model": "gpt-5", "pinned": False, "archived": False,
        "input_tokens": 0, "output_tokens": 0, "pending_attachments": [],
        "gateway_routing_history": [], "llm_title_generated": False, "is_cli_session": False,
        "read_only": False, "composer_draft": {},
    }
    record = {name: values.get(name, defaults.get(name)) for name in ORIGINAL_METADATA_ORDER}
    record["messages"] = values.get("messages", [])
    record["tool_calls"] = []
    return record


def original_index_row(record: dict[str, Any]) -> dict[str, Any]:
    """The original's ``compact()`` of a record, for ``_index.json`` (hand-written rule)."""
    messages = record["messages"]
    last = next((m["timestamp"] for m in reversed(messages) if m.get("role") != "tool"), None)
    row = {k: record[k] for k in ("session_id", "title", "workspace", "model", "model_provider")}
    row.update(message_count=len(messages), created_at=record["created_at"],
               updated_at=record["updated_at"], last_message_at=last or record["updated_at"])
    for key in ("pinned", "archived", "project_id", "profile", "input_tokens", "output_tokens",
                "estimated_cost", "personality", "active_stream_id", "pending_user_message",
                "is_cli_session", "source_tag", "raw_source", "session_source", "source_label",
                "read_only", "enabled_toolsets", "composer_draft"):
        row[key] = record[key]
    row["user_message_count"] = sum(1 for m in messages if m.get("role") == "user")
    row["has_pending_user_message"] = False
    row["is_streaming"] = False
    return row


def _messages(*stamps: float) -> list[dict[str, Any]]:
    roles = ("user", "assistant")
    return [{"role": roles[i % 2], "content": f"message {i}", "timestamp": stamp}
            for i, stamp in enumerate(stamps)]


@dataclass
class HermesHome:
    base: Path
    state_dir: Path
    workspace: Path
    claude: Path

    @property
    def sessions(self) -> Path:
        return self.state_dir / "sessions"

    @property
    def projects(self) -> Path:
        return self.state_dir / "projects.json"


def build_home(tmp_path: Path) -> HermesHome:
    base = tmp_path / "hermes"
    home = HermesHome(base, base / "webui", tmp_path / "workspace", tmp_path / "claude-projects")
    home.sessions.mkdir(parents=True)
    home.workspace.mkdir()
    ws = str(home.workspace)
    records = [
        original_file(session_id="aaa111aaa111", title="Pinned plan", workspace=ws, pinned=True,
                      profile="default", created_at=1795000000.0, updated_at=1795000100.0,
                      messages=_messages(1795000050, 1795000100)),
        original_file(session_id="bbb222bbb222", title="Work notes", workspace=ws,
                      profile="work", project_id="p1legacy0001", created_at=1795000400.0,
                      updated_at=1795000500.0, messages=_messages(1795000500)),
        original_file(session_id="ccc333ccc333", title="Old chat", workspace=ws, archived=True,
                      created_at=1794000000.0, updated_at=1794000000.0,
                      messages=_messages(1793999000, 1794000000)),
        original_file(session_id="ddd444ddd444", workspace=ws, profile="default",
                      created_at=1795000600.0, updated_at=1795000600.0),
        original_file(session_id="cron_abc123abc123_20261101", title="Nightly", workspace=ws,
                      profile="default", source_tag="cron", created_at=1795000700.0,
                      updated_at=1795000700.0, messages=_messages(1795000700)),
        original_file(session_id="eee555-with-dash", title="Dash id", workspace=ws,
                      profile="default", created_at=1795000250.0, updated_at=1795000300.0,
                      messages=_messages(1795000300)),
        original_file(session_id="20261123_212025_78dade", title="Renamed payments",
                      workspace=ws, profile="default", is_cli_session=True, source_tag="cli",
                      created_at=1795000150.0, updated_at=1795000200.0,
                      messages=_messages(1795000200)),
    ]
    for record in records:
        text = json.dumps(record, ensure_ascii=False, indent=2)
        (home.sessions / f"{record['session_id']}.json").write_text(text, encoding="utf-8")
    (home.sessions / "fff666fff666.json").write_text("{not json", encoding="utf-8")
    index = sorted((original_index_row(r) for r in records), key=lambda r: r["updated_at"],
                   reverse=True)
    (home.sessions / "_index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    projects = [
        {"project_id": "p1legacy0001", "name": "Legacy", "color": "#ffffff", "created_at": 1.0},
        {"project_id": "p2work000002", "name": "Work project", "color": "#000000",
         "profile": "work", "created_at": 2.0},
        {"project_id": "p3orphan0003", "name": "Orphan", "color": None, "created_at": 3.0},
    ]
    home.projects.write_text(json.dumps(projects, indent=2), encoding="utf-8")
    shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", base / "state.db")
    (base / "cron").mkdir()
    (base / "cron" / "jobs.json").write_text(
        json.dumps({"jobs": [{"id": "5afbaeed357d", "name": "daily-news-digest"}]}),
        encoding="utf-8")
    home.claude.mkdir()
    for folder in CLAUDE_FOLDERS:
        shutil.copytree(FIXTURES / "claude_code" / folder, home.claude / folder)
    return home


_VARIABLES = (
    "HERMES_HOME", "HERMES_BASE_HOME", "HERMES_WEBUI_STATE_DIR", "HERMES_WEBUI_TEST_STATE_DIR",
    "HERMES_WEBUI_CLAUDE_PROJECTS_DIR", "CLAUDE_CONFIG_DIR", "HERMES_WEBUI_DEFAULT_WORKSPACE",
    "HERMES_MODEL", "OPENAI_MODEL", "LLM_MODEL", "HERMES_WEBUI_DEFAULT_MODEL",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HermesHome]:
    """The compat module reading a full home through the original's environment variables."""
    from hermes_sessions_agent_state_db import clear_cache

    built = build_home(tmp_path)
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HERMES_HOME", str(built.base))
    monkeypatch.setenv("HERMES_WEBUI_CLAUDE_PROJECTS_DIR", str(built.claude))
    monkeypatch.setenv("HERMES_WEBUI_DEFAULT_WORKSPACE", str(built.workspace))
    compat.reset()
    clear_cache()
    yield built
    compat.reset()
    clear_cache()
