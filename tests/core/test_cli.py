"""The `hermes-sessions` command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A Hermes home with two Web UI sessions (one in another profile)."""
    base = tmp_path / "hermes"
    monkeypatch.setenv("HERMES_HOME", str(base))
    locations = Locations.from_environment(claude_projects_dir=tmp_path / "none")
    store = SessionStore(locations, plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))
    now = time.time()
    store.save(Session(session_id="aaaa00000001", title="First chat", profile="default",
                       messages=[{"role": "user", "content": "hi there", "timestamp": now},
                                 {"role": "assistant", "content": "hello!", "timestamp": now + 1}]))
    store.save(Session(session_id="bbbb00000002", title="Work chat", profile="work",
                       messages=[{"role": "user", "content": "x", "timestamp": now}]))
    store.close()
    registry.forget_all()
    yield base
    registry.forget_all()


def run(*args):
    return CliRunner().invoke(app, list(args))


def test_list_shows_a_table(home, tmp_path):
    result = run("list", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0, result.output
    assert "First chat" in result.stdout and "Work chat" not in result.stdout
    assert "1 more in other profiles" in result.output


def test_list_piped_is_one_row_per_line_and_notes_go_to_stderr(home, tmp_path):
    """Piped, `list | wc -l` counts rows: tab-separated id, source, messages, last activity
    and title, no table, no header; notes go to stderr."""
    result = run("list", "--all-profiles", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["aaaa00000001", "bbbb00000002"]
    assert lines[0].split("\t")[1:3] == ["WebUI", "2"] and lines[0].endswith("\tFirst chat")
    assert "No agent store" in result.stderr and "No agent store" not in result.stdout


def test_list_json_all_profiles(home, tmp_path):
    result = run("list", "--json", "--all-profiles", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["session_id"] for r in data["sessions"]} == {"aaaa00000001", "bbbb00000002"}
    assert [p for p in data["problems"] if p["source"] == "json_fs"] == []


def test_list_on_an_empty_machine_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "empty"))
    result = run("list")
    assert result.exit_code == 0, result.output
    assert "No sessions found" in result.stdout
    assert str(tmp_path / "empty") in result.stdout
    assert not (tmp_path / "empty").exists()
    # No agent on this machine is normal: said once, in the footer, never as a warning.
    assert f"agent store: {tmp_path / 'empty' / 'state.db'} (none there)" in result.stdout
    assert "warning" not in result.output and "AgentDatabaseMissing" not in result.output


def test_list_without_an_agent_store_says_so_once_below_the_table(home, tmp_path):
    result = run("list", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0, result.output
    assert result.output.count(f"No agent store at {home / 'state.db'}") == 1
    assert "warning" not in result.output and "AgentDatabaseMissing" not in result.output


def test_show_prints_metadata_and_transcript(home):
    result = run("show", "aaaa00000001")
    assert result.exit_code == 0, result.output
    assert "First chat" in result.stdout and "hello!" in result.stdout
    data = json.loads(run("show", "aaaa00000001", "--json").stdout)
    assert data["session"]["message_count"] == 2 and len(data["messages"]) == 2


def test_show_prints_parts_as_text_and_names_what_it_cannot_print(tmp_path, monkeypatch):
    """A message of content parts reads as its text, not as JSON; images, files and tool
    calls are named in brackets; a JSON tool result is one line; thinking is left out."""
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    store = SessionStore(Locations.from_environment(claude_projects_dir=tmp_path / "none"),
                         plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))
    store.save(Session(session_id="partsparts01", title="Parts", messages=[
        {"role": "user", "timestamp": 1.7e9, "content": [
            {"type": "text", "text": "what is in this picture?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
        {"role": "assistant", "timestamp": 1.7e9 + 1, "content": "Let me look.",
         "reasoning": "secret musing",
         "tool_calls": [{"id": "c1", "type": "function",
                         "function": {"name": "describe_image", "arguments": "{}"}}]},
        {"role": "tool", "timestamp": 1.7e9 + 2, "tool_call_id": "c1",
         "content": '{\n  "label": "a cat"\n}'},
    ]))
    store.close()
    registry.forget_all()
    shown = run("show", "partsparts01")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert "user: what is in this picture? [image: image/png]" in lines
    assert "assistant: Let me look. [calls describe_image]" in lines
    assert 'tool: {"label": "a cat"}' in lines
    assert "secret musing" not in shown.stdout and '"type"' not in shown.stdout


@pytest.mark.parametrize("session_id", ["nope00000000", "../etc/passwd"])
def test_show_unknown_id_fails_clearly(home, session_id):
    result = run("show", session_id)
    assert result.exit_code == 1
    assert "not found" in result.stderr


def test_bad_profile_is_a_clear_error(home):
    result = run("list", "--profile", "Bad Name")
    assert result.exit_code == 1 and "invalid profile name" in result.stderr


def test_installed_console_script_runs(tmp_path):
    """The entry point `hermes-sessions` is installed and answers."""
    env = {"HOME": str(tmp_path), "PATH": __import__("os").environ["PATH"]}
    result = subprocess.run([sys.executable, "-m", "hermes_sessions_core.cli", "list", "--json"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sessions"] == []


def test_brackets_in_data_are_shown_as_text(tmp_path, monkeypatch):
    """Titles, messages and errors containing rich markup (`[/red]`, `[bold]`) print verbatim
    and never crash the command."""
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    store = SessionStore(Locations.from_environment(claude_projects_dir=tmp_path / "none"),
                         plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))
    store.save(Session(session_id="brackets0001", title="[/red] fix [bold]it",
                       messages=[{"role": "user", "content": "see [/x] and [link=y]z", "timestamp": 1.7e9}]))
    store.close()
    registry.forget_all()
    listed = run("list", "--claude-dir", str(tmp_path / "none"))
    assert listed.exit_code == 0, listed.output
    assert "[/red] fix [bold]it" in listed.stdout
    shown = run("show", "brackets0001")
    assert shown.exit_code == 0, shown.output
    assert "see [/x] and [link=y]z" in shown.stdout
    bad = run("list", "--profile", "Bad Name")
    assert "[a-z0-9][a-z0-9_-]{0,63}" in bad.stderr


def test_version_and_python_m_run_the_command_line() -> None:
    """``--version`` prints the installed version; ``python -m hermes_sessions_core`` is the
    same command under the same name."""
    import subprocess
    import sys
    from importlib import metadata

    expected = f"hermes-sessions {metadata.version('hermes-sessions')}"
    for command in (
        [sys.executable, "-m", "hermes_sessions_core", "--version"],
        [sys.executable, "-c", "from hermes_sessions_core.cli import main; main()", "--version"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout.strip()) == (0, expected), done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core", "--help"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0 and "Usage: hermes-sessions " in done.stdout


@pytest.mark.parametrize("args, message", [
    (("list", "--profile", "nosuch"), "unknown --profile 'nosuch'; choose from: default, work"),
    (("list", "--profile", "work", "--all-profiles"), "cannot be used together"),
    (("search", "chat", "--source", "nosuch"), "unknown --source 'nosuch'; choose from:"),
    (("search", "chat", "-p", "work", "--all-profiles"), "cannot be used together"),
    (("reindex", "--source", "nosuch"), "unknown --source 'nosuch'; choose from:"),
    (("plugins", "--block", "nosuch"), "unknown --block 'nosuch'; choose from:"),
])
def test_typos_exit_2_naming_the_valid_choices(home, tmp_path, args, message):
    """A typo must never look like an empty result (exit 0 with nothing listed)."""
    extra = () if args[0] == "plugins" else ("--claude-dir", str(tmp_path / "none"))
    result = run(*args, *extra)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_a_profile_only_sessions_name_is_not_a_typo(home, tmp_path):
    """Profiles need no folder: one that only sessions name lists them, and an existing
    profile without sessions is an empty listing, not an error."""
    result = run("list", "--profile", "work", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0 and "Work chat" in result.stdout, result.output
    (home / "profiles" / "empty").mkdir(parents=True)
    result = run("list", "--profile", "empty", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0 and "No sessions found" in result.stdout, result.output


def test_commands_never_create_a_state_dir_that_does_not_exist(tmp_path, monkeypatch):
    """A mistyped --state-dir must not appear on disk; search keeps its index in the user's
    cache folder instead (and finds it again on the next search)."""
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    typo = tmp_path / "no-such" / "webui"
    for args in (("search", "anything"), ("search", "anything"), ("list",), ("projects",),
                 ("show", "aaaa00000001"), ("doctor",)):
        run(*args, "--state-dir", str(typo))
        assert not (tmp_path / "no-such").exists(), args
    indexes = list((tmp_path / "cache" / "hermes-sessions" / "search").glob("*/json_fs.sqlite"))
    assert len(indexes) == 1


def test_show_messages_limits_the_json_too(home):
    """-m N is the last N messages in both views; --json alone gives them all."""
    data = json.loads(run("show", "aaaa00000001", "--json", "-m", "1").stdout)
    assert [m["content"] for m in data["messages"]] == ["hello!"]
    assert data["session"]["message_count"] == 2
    assert json.loads(run("show", "aaaa00000001", "--json", "-m", "0").stdout)["messages"] == []
    assert len(json.loads(run("show", "aaaa00000001", "--json").stdout)["messages"]) == 2
    text = run("show", "aaaa00000001", "-m", "1").stdout
    assert "hello!" in text and "hi there" not in text and "1 earlier messages" in text


def test_a_one_letter_prefix_that_finds_nothing_says_why(home, tmp_path):
    result = run("search", "q*", "--claude-dir", str(tmp_path / "none"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "No matches for 'q*'." in text
    assert "A prefix needs at least two letters before '*': 'q*' was searched as the word 'q'." in text


def test_a_sessions_url_that_cannot_be_opened_fails_in_one_line(tmp_path, monkeypatch):
    """The location the user asked for: one line naming it and the fix, exit 1, and no
    traceback (the library's log is quiet without --verbose)."""
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    done = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core", "list", "--sessions-url", "bogus://x/y",
         "--claude-dir", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "bogus://" in lines[0] and "local path" in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    verbose = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core", "--verbose", "list", "--sessions-url",
         "bogus://x/y", "--claude-dir", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60,
    )
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_capped_rows_are_counted_and_the_cap_can_be_lifted(tmp_path, monkeypatch):
    """The sidebar's cap on agent CLI sessions (S6.10) and --limit never hide rows silently."""
    import shutil
    from pathlib import Path

    home = tmp_path / "hermes"
    home.mkdir()
    fixture = Path(__file__).parents[1] / "fixtures" / "agent_state_db" / "generated" / "current"
    shutil.copyfile(fixture / "state.db", home / "state.db")
    monkeypatch.setenv("HERMES_HOME", str(home))
    none = ("--claude-dir", str(tmp_path / "none"))
    capped = run("list", "--cli-rows", "2", *none)
    assert capped.exit_code == 0, capped.output
    hidden = int(capped.stderr.split(" more agent CLI sessions not shown")[0].split()[-1])
    every = run("list", "--cli-rows", "0", *none)
    assert len(every.stdout.splitlines()) == len(capped.stdout.splitlines()) + hidden
    assert "not shown" not in every.stderr
    limited = run("list", "--cli-rows", "0", "--limit", "3", *none)
    assert len(limited.stdout.splitlines()) == 3
    assert f"{len(every.stdout.splitlines()) - 3} more not shown (--limit 3)." in limited.stderr
    data = json.loads(run("list", "--cli-rows", "2", "--json", *none).stdout)
    assert data["capped_cli_count"] == hidden


def test_list_since_project_quiet_and_json_lines(tmp_path, monkeypatch):
    """Filters and script-friendly output: --since (relative, named or ISO), --project,
    -q (ids only) and --jsonl (one object per row)."""
    base = tmp_path / "hermes"
    monkeypatch.setenv("HERMES_HOME", str(base))
    store = SessionStore(Locations.from_environment(claude_projects_dir=tmp_path / "none"),
                         plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))
    now = time.time()
    for session_id, at, project in (("recent000001", now - 3600, "p1"),
                                    ("older0000002", now - 10 * 86400, None)):
        store.save(Session(session_id=session_id, title=session_id, project_id=project,
                           messages=[{"role": "user", "content": "hi", "timestamp": at}]),
                   touch_updated_at=False)
    store.close()
    registry.forget_all()
    none = ("--claude-dir", str(tmp_path / "none"))
    assert run("list", "-q", *none).stdout.split() == ["recent000001", "older0000002"]
    assert run("list", "-q", "--since", "2d", *none).stdout.split() == ["recent000001"]
    assert run("list", "-q", "--since", "30d", *none).stdout.split() == [
        "recent000001", "older0000002"]
    future = time.strftime("%Y-%m-%d", time.gmtime(now + 2 * 86400))
    assert run("list", "-q", "--since", future, *none).stdout.split() == []
    assert run("list", "-q", "--project", "p1", *none).stdout.split() == ["recent000001"]
    lines = run("list", "--jsonl", *none).stdout.splitlines()
    assert [json.loads(line)["session_id"] for line in lines] == ["recent000001", "older0000002"]
    bad = run("list", "--since", "lastweek", *none)
    assert bad.exit_code == 2 and "is not a time" in bad.output
    registry.forget_all()
