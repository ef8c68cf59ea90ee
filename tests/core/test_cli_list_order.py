"""`hermes-sessions list --source` and `--sort`: narrowing the sidebar to one source and
ordering it, on a home with Web UI sessions and Claude Code transcripts."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager

CLAUDE_FIXTURES = Path(__file__).parent.parent / "fixtures" / "claude_code"
SHORT = "-home-marco-projects-spotter/55604662-cf2a-4331-851a-ec234028f8ca.jsonl"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Three Web UI sessions (one pinned, the oldest) and one Claude Code transcript."""
    base = tmp_path / "hermes"
    monkeypatch.setenv("HERMES_HOME", str(base))
    claude = tmp_path / "claude"
    (claude / SHORT).parent.mkdir(parents=True)
    shutil.copyfile(CLAUDE_FIXTURES / SHORT, claude / SHORT)
    os.utime(claude / SHORT, (time.time() - 30 * 86400,) * 2)
    store = SessionStore(
        Locations.from_environment(claude_projects_dir=claude),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
    )
    now = time.time()
    for session_id, title, age_days, messages, pinned in (
        ("bbbb00000001", "banana talk", 3, 1, True),
        ("aaaa00000002", "Apple chat", 1, 5, False),
        ("cccc00000003", "cherry notes", 2, 3, False),
    ):
        at = now - age_days * 86400
        store.save(
            Session(
                session_id=session_id, title=title, pinned=pinned, created_at=at,
                messages=[{"role": "user", "content": f"m{i}", "timestamp": at + i}
                          for i in range(messages)],
            ),
            touch_updated_at=False,
        )
    store.close()
    registry.forget_all()
    yield claude
    registry.forget_all()


def ids(claude: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(app, ["list", "-q", "--claude-dir", str(claude), *args])
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_source_keeps_only_the_rows_that_source_supplied(home):
    every = ids(home)
    webui = ids(home, "--source", "json_fs")
    claude = ids(home, "--source", "claude_code")
    assert sorted(webui) == ["aaaa00000002", "bbbb00000001", "cccc00000003"]
    assert len(claude) == 1 and claude[0].startswith("claude_code_")
    # Narrowing never reorders: each source's rows keep their sidebar positions.
    assert [i for i in every if i in webui] == webui
    assert sorted(ids(home, "-s", "json_fs", "-s", "claude_code")) == sorted(every)


def test_an_unknown_source_exits_2_naming_the_valid_ones(home):
    result = CliRunner().invoke(app, ["list", "--claude-dir", str(home), "--source", "nosuch"])
    assert result.exit_code == 2
    assert "unknown --source 'nosuch'" in result.stderr
    assert "claude_code" in result.stderr and "json_fs" in result.stderr


def test_sort_orders(home):
    web = ("--source", "json_fs")
    # The sidebar puts the pinned row first, then the newest.
    assert ids(home, *web) == ["bbbb00000001", "aaaa00000002", "cccc00000003"]
    assert ids(home, *web, "--sort", "activity") == ["aaaa00000002", "cccc00000003",
                                                      "bbbb00000001"]
    assert ids(home, *web, "--sort", "created") == ["aaaa00000002", "cccc00000003",
                                                     "bbbb00000001"]
    assert ids(home, *web, "--sort", "messages") == ["aaaa00000002", "cccc00000003",
                                                      "bbbb00000001"]
    assert ids(home, *web, "--sort", "title") == ["aaaa00000002", "bbbb00000001",
                                                   "cccc00000003"]
    assert ids(home, *web, "--sort", "TITLE", "--reverse") == ["cccc00000003", "bbbb00000001",
                                                                "aaaa00000002"]
    assert ids(home, *web, "-r") == ["cccc00000003", "aaaa00000002", "bbbb00000001"]


def test_sort_applies_before_limit(home):
    """--limit keeps the first N of the chosen order, and says how many it left out."""
    result = CliRunner().invoke(
        app, ["list", "--claude-dir", str(home), "-s", "json_fs", "--sort", "activity",
              "--reverse", "-n", "1", "--jsonl"],
    )
    assert result.exit_code == 0
    assert [json.loads(line)["session_id"] for line in result.stdout.splitlines()] == [
        "bbbb00000001"
    ]


def test_a_bad_sort_key_exits_2(home):
    result = CliRunner().invoke(app, ["list", "--claude-dir", str(home), "--sort", "size"])
    assert result.exit_code == 2
    assert "activity" in result.stderr


def test_filters_that_leave_nothing_say_so_not_where_we_looked(home):
    result = CliRunner().invoke(
        app, ["list", "--claude-dir", str(home), "--source", "claude_code", "--since", "1d"]
    )
    assert result.exit_code == 0
    assert "No sessions match" in result.stdout
    assert "Looked in" not in result.stdout


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_the_table_fits_the_terminal_whatever_the_titles(monkeypatch, width):
    """A long unbreakable title once made rich squeeze the message count to nothing; every
    line now fits, the count is always shown, and columns go before the title gets unreadable."""
    import io

    from rich.console import Console

    from hermes_sessions_core.cli import sessions

    screen = io.StringIO()
    console = Console(file=screen, width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(sessions, "out", lambda: console)
    rows = [
        {"session_id": "claude_code_" + "0" * 36, "source_label": "Claude Code",
         "message_count": 12345, "updated_at": 1_760_000_000.0,
         "title": "@src/providers/plugins/sso/ARCHITECTURE-REFACTORING.md" * 3},
        {"session_id": "aaaa00000001", "source_label": "WebUI", "message_count": 2,
         "updated_at": 1_760_000_000.0, "title": "short"},
    ]
    sessions._print_rows(rows, "default")
    lines = screen.getvalue().splitlines()
    assert all(len(line) <= width for line in lines), lines
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 2
    assert "12345" in body[0] and " 2 │" in body[1]
    assert "@src/pr" in body[0] and "…" in body[0]
    assert ("Claude Code" in body[0]) is (width >= 80)
    assert ("2025-10-" in body[0]) is (width >= 60)


def test_home_option_means_what_hermes_home_means(tmp_path, monkeypatch):
    """`--home X` reads the Web UI sessions of X/webui, as HERMES_HOME=X does (S7.7), not
    those of ~/.hermes: doctor and repair used to audit (and write) the wrong folder."""
    monkeypatch.delenv("HERMES_HOME", raising=False)
    monkeypatch.delenv("HERMES_WEBUI_STATE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    chosen = tmp_path / "elsewhere"
    store = SessionStore(
        Locations.from_environment(base_home=chosen, state_dir=chosen / "webui"),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
    )
    store.save(Session(session_id="eeee00000001", title="there",
                       messages=[{"role": "user", "content": "hi"}]))
    store.close()
    registry.forget_all()
    result = CliRunner().invoke(
        app, ["list", "-q", "--home", str(chosen), "--claude-dir", str(tmp_path / "none")]
    )
    assert result.exit_code == 0 and result.stdout.split() == ["eeee00000001"]
    # An explicit --state-dir still wins.
    other = CliRunner().invoke(app, ["list", "-q", "--home", str(chosen), "--state-dir",
                                     str(tmp_path / "none"), "--claude-dir", str(tmp_path)])
    assert other.exit_code == 0 and other.stdout.split() == []
    assert not (tmp_path / "user").exists()


def test_a_mistyped_profile_exits_2_even_when_claude_code_rows_list(home):
    """Claude Code rows belong to no profile, so they list under any name: the typo must be
    caught by the profile's name, not by an empty listing."""
    result = CliRunner().invoke(app, ["list", "--claude-dir", str(home), "--profile", "nosuch"])
    assert result.exit_code == 2
    assert "unknown --profile 'nosuch'" in result.stderr and "default" in result.stderr


@pytest.mark.parametrize("command", [["search", "chat"], ["projects"]])
def test_search_and_projects_refuse_a_mistyped_profile_too(home, command):
    result = CliRunner().invoke(
        app, [*command, "--claude-dir", str(home), "--profile", "nosuch"]
        if command[0] == "search" else [*command, "--profile", "nosuch"]
    )
    assert result.exit_code == 2
    assert "unknown --profile 'nosuch'" in result.stderr
