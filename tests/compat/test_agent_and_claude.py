"""Agent and Claude Code sessions through compat, against rows written by hand (S3, S4, S8)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from hermes_sessions_core import compat

from .conftest import HermesHome

CHAIN = ("20261123_212025_78dade", "20261123_212025_2340b5", "20261123_212026_5dae6d")
CRON = "cron_5afbaeed357d_20261123_212026"

#: The agent rows of real_small.db for profile default, by the rules: a chain is one row with
#: the tip's id and the head's title (S3.9), but the Web UI title stored under the head id wins
#: (#1486, S6.4); an untitled telegram row is "Telegram Session" (S3.15); the empty session is
#: hidden (S3.8). Newest activity first.
EXPECTED_AGENT = [
    ("20261123_212026_e3f24c", "Nginx log rotation script"),
    (CRON, "daily-news-digest · Nov 23 21:20"),
    ("20261123_212026_f91284f9", "Telegram Session"),
    ("20261123_212026_df7ded", "Kyoto trip plan #2"),
    ("20261123_212026_ced335", "Kyoto trip plan"),
    (CHAIN[2], "Renamed payments"),
    # A subagent child keeps its own row (S3.11); only `cli` rows face S3.13's visibility rule.
    ("20261123_212026_e90dc2", "Subagent Session"),
]


def _claude_id(home: HermesHome, folder: str, name: str) -> str:
    path = (home.claude / folder / name).resolve()
    return "claude_code_" + hashlib.sha256(str(path).encode()).hexdigest()[:24]


def test_get_cli_sessions_claude_first_then_agent_rows(home: HermesHome) -> None:
    """Claude Code rows first, then the agent rows of the active profile (the original's order)."""
    rows = compat.get_cli_sessions()
    claude = [r for r in rows if r["session_id"].startswith("claude_code_")]
    agent = [(r["session_id"], r["title"]) for r in rows if not r["session_id"].startswith("claude_code_")]
    assert rows[: len(claude)] == claude
    assert agent == EXPECTED_AGENT
    tip = next(r for r in rows if r["session_id"] == CHAIN[2])
    assert tip["_lineage_root_id"] == CHAIN[0] and tip["_compression_segment_count"] == 3
    assert tip["workspace"] == "/home/ada/src/payments"  # the agent's cwd (S3.16)
    assert all(r["profile"] == "default" and r["is_cli_session"] for r in rows if r in agent)


def test_listing_never_creates_the_cron_project(home: HermesHome) -> None:
    """S5.6, S8.20: get_cli_sessions reads projects.json only; the cron row has no project yet."""
    before = home.projects.read_bytes()
    rows = {r["session_id"]: r for r in compat.get_cli_sessions()}
    assert rows[CRON]["project_id"] is None
    assert home.projects.read_bytes() == before
    project_id = compat.ensure_cron_project()
    compat.clear_cli_sessions_cache()
    rows = {r["session_id"]: r for r in compat.get_cli_sessions()}
    assert rows[CRON]["project_id"] == project_id


def test_claude_code_rows_and_messages(home: HermesHome) -> None:
    """S4.2-S4.4, S8.22: two sessions (the flat agent-* files are not sessions), ids hashed
    from the resolved path, summary-titled and prompt-titled, read-only, cwd workspaces."""
    private = _claude_id(home, "-tmp-private", "4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl")
    curry = _claude_id(home, "-Users-pete-tmp-claude-code-sessions",
                       "0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl")
    rows = {r["session_id"]: r for r in compat.get_claude_code_sessions()}
    assert set(rows) == {private, curry}
    assert rows[private]["title"] == "create hello.py, md and js"
    assert rows[curry]["title"] == "Spawn curry poem agents, write sushi"
    for row in rows.values():
        assert row["read_only"] is True and row["source_label"] == "Claude Code"
        assert row["profile"] is None and row["project_id"] is None
    messages = compat.get_cli_session_messages(private)
    assert messages and messages[0]["role"] == "user"
    assert compat.get_claude_code_session_messages(private) == messages
    assert compat.get_claude_code_session_messages("claude_code_" + "0" * 24) == []
    assert compat.get_claude_code_session_messages("not-claude") == []


def test_test_state_dir_never_reads_the_real_claude_folder(home: HermesHome, monkeypatch) -> None:
    """As the original: HERMES_WEBUI_TEST_STATE_DIR without an explicit folder reads none."""
    monkeypatch.delenv("HERMES_WEBUI_CLAUDE_PROJECTS_DIR")
    monkeypatch.setenv("HERMES_WEBUI_TEST_STATE_DIR", str(home.state_dir))
    compat.reset()
    assert compat.get_claude_code_sessions() == []
    assert compat.get_claude_code_sessions(home.claude)  # an explicit folder still works


def test_transcripts_are_stitched_and_rounds_counted(home: HermesHome) -> None:
    """S8.1, S3.18, S3.22: the chain tip opens with every segment; rounds span segments."""
    assert len(compat.get_cli_session_messages(CHAIN[2])) == 8 + 5 + 3
    assert len(compat.get_cli_session_messages(CHAIN[0])) == 8
    assert compat.count_conversation_rounds(CHAIN[2]) == 4
    assert compat.count_conversation_rounds(CHAIN[2], since=2e9) == 0
    assert compat.count_conversation_rounds("missing000000") == 0
    assert compat.CONVERSATION_ROUND_THRESHOLD == 10


def test_delete_removes_the_chain_and_a_second_delete_is_false(home: HermesHome) -> None:
    """S3.21, S8.20: the tip and its collapsed segments go; the subagent child stays."""
    assert compat.delete_cli_session(CHAIN[2]) is True
    assert compat.delete_cli_session(CHAIN[2]) is False
    with sqlite3.connect(home.base / "state.db") as connection:
        ids = {row[0] for row in connection.execute("SELECT id FROM sessions")}
    assert not ids & set(CHAIN)
    assert "20261123_212026_e90dc2" in ids


def test_missing_database_is_tolerated(home: HermesHome) -> None:
    """A missing state.db gives empty answers, never an error (the original's behaviour)."""
    (home.base / "state.db").unlink()
    compat.clear_cli_sessions_cache()
    rows = compat.get_cli_sessions()
    assert all(r["session_id"].startswith("claude_code_") for r in rows) and rows
    assert compat.get_cli_session_messages(CHAIN[2]) == []
    assert compat.count_conversation_rounds(CHAIN[2]) == 0
    assert compat.delete_cli_session(CHAIN[2]) is False


@pytest.mark.parametrize("name", ["ghost", "../../etc", "Bad Name", ""])
def test_unknown_and_traversing_active_profiles_are_tolerated(home: HermesHome, name: str) -> None:
    """An unknown profile has no store (empty); a traversing one falls back to default."""
    compat.configure(active_profile=lambda: name)
    agent = [r for r in compat.get_cli_sessions() if not r["session_id"].startswith("claude_code_")]
    if name == "ghost":
        assert agent == []
        assert compat.get_cli_session_messages(CHAIN[2]) == []
    else:
        assert [r["session_id"] for r in agent] == [e[0] for e in EXPECTED_AGENT]
    assert not (home.base.parent / "etc").exists()


@pytest.mark.parametrize("blocked", ["claude_code", "agent_state_db"])
def test_blocked_plugins_are_honoured_as_in_the_library(
    home: HermesHome, monkeypatch: pytest.MonkeyPatch, blocked: str
) -> None:
    """A blocked source is gone from the drop-in exactly as from `hermes-sessions list`: both
    read it through the store's plugin manager and dispatcher."""
    from typer.testing import CliRunner

    from hermes_sessions_core.cli import app

    monkeypatch.setenv("HERMES_SESSIONS_BLOCKED_PLUGINS", blocked)
    compat.reset()
    rows = compat.get_cli_sessions()
    claude = [r for r in rows if r["session_id"].startswith("claude_code_")]
    agent = [r for r in rows if not r["session_id"].startswith("claude_code_")]
    listed = CliRunner().invoke(app, ["list", "--json", "--home", str(home.base)])
    assert listed.exit_code == 0, listed.output
    cli_ids = {row["session_id"] for row in json.loads(listed.output)["sessions"]}
    if blocked == "claude_code":
        assert claude == [] and compat.get_claude_code_sessions() == []
        assert not any(i.startswith("claude_code_") for i in cli_ids)
        assert [r["session_id"] for r in agent] == [e[0] for e in EXPECTED_AGENT]
    else:
        assert agent == [] and claude
        assert compat.get_cli_session_messages(CHAIN[2]) == []
        assert not cli_ids & {e[0] for e in EXPECTED_AGENT}
