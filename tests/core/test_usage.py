"""Recorded usage (issue 17): de-duplicated per API message, summed by `hermes-sessions usage`
to the same totals as a hand count over the fixtures, and no price that was not recorded."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.usage import UsageTally, merge_records, usage_records_of

FIXTURES = Path(__file__).parents[1] / "fixtures"
STATE_DB = FIXTURES / "agent_state_db" / "generated" / "current" / "state.db"
CLAUDE = FIXTURES / "claude_code"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


class TestTally:
    def test_a_message_reported_twice_counts_once_and_the_last_report_wins(self):
        tally = UsageTally()
        tally.add("m1", 1_700_000_000, "opus", input_tokens=10, output_tokens=1)
        tally.add("m1", 1_700_000_000, "opus", input_tokens=10, output_tokens=40)
        tally.add("m2", 1_700_000_000, "opus", input_tokens=5, output_tokens=5, cost=0.5)
        (record,) = tally.records()
        assert (record["input_tokens"], record["output_tokens"]) == (15, 45)
        assert (record["messages"], record["messages_with_cost"], record["cost"]) == (2, 1, 0.5)

    def test_hostile_values_count_as_nothing_and_never_as_a_price(self):
        tally = UsageTally()
        tally.add("a", float("nan"), ["model"], input_tokens=-5, output_tokens=float("inf"),
                  cache_read_tokens=True, cost=float("nan"))
        tally.add("b", None, None, input_tokens="12", cost=-1)
        tally.add("c", 1e300, "m", output_tokens=3, cost="0.1")
        (record,) = tally.records()
        assert record["day"] is None and record["output_tokens"] == 3
        assert record["cost"] is None and record["messages_with_cost"] == 0

    def test_days_and_models_are_apart(self):
        tally = UsageTally()
        day = 1_700_000_000
        tally.add(None, day, "a", input_tokens=1)
        tally.add(None, day, "b", input_tokens=2)
        tally.add(None, day + 86_400 * 3, "a", input_tokens=4)
        assert [(r["model"], r["input_tokens"]) for r in tally.records()] == [
            ("a", 1), ("b", 2), ("a", 4)]

    def test_totals_say_how_many_entries_recorded_no_cost(self):
        records = [
            {"input_tokens": 1, "messages": 3, "messages_with_cost": 2, "cost": 0.25},
            {"input_tokens": 2, "messages": 1, "cost": None},
        ]
        total = merge_records(records)
        assert (total["input_tokens"], total["cost"], total["messages"]) == (3, 0.25, 4)
        assert total["messages_without_cost"] == 2
        # a sum of sums keeps the count
        assert merge_records([total])["messages_without_cost"] == 2

    def test_a_row_without_a_usage_list_is_one_entry_from_its_totals(self):
        row = {"input_tokens": 7, "output_tokens": 3, "estimated_cost": 0.01,
               "last_message_at": 1_700_000_000, "model": "gpt"}
        (record,) = usage_records_of(row)
        assert (record["input_tokens"], record["cost"], record["model"]) == (7, 0.01, "gpt")
        assert usage_records_of({"input_tokens": 0}) == []


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home with the generated agent store, the Claude Code fixtures and one Web UI
    session that recorded its usage; nothing of the machine's own agents is read."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("CODEX_HOME", "GEMINI_CLI_HOME", "XDG_DATA_HOME", "CLAUDE_CONFIG_DIR",
                 "HERMES_WEBUI_CLAUDE_PROJECTS_DIR", "HERMES_SESSIONS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    base = tmp_path / ".hermes"
    base.mkdir()
    monkeypatch.setenv("HERMES_HOME", str(base))
    shutil.copyfile(STATE_DB, base / "state.db")
    shutil.copytree(CLAUDE, tmp_path / ".claude" / "projects",
                    ignore=shutil.ignore_patterns("README.md"))
    store = SessionStore(Locations.from_environment(),
                         plugin_manager=make_plugin_manager(builtins=["json_fs"],
                                                            entry_points=False))
    store.save(Session(session_id="webui0000001", title="Costed", profile="default",
                       model="gpt-5", input_tokens=1000, output_tokens=200,
                       estimated_cost=0.125,
                       messages=[{"role": "user", "content": "hi", "timestamp": time.time()}]))
    store.close()
    registry.forget_all()
    yield tmp_path
    registry.forget_all()


def _usage(*args: str) -> dict:
    result = CliRunner().invoke(app, ["usage", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _summed(lines: list[dict], name: str) -> float:
    return sum(line[name] or 0 for line in lines)


def _agent_hand_count() -> dict[str, float]:
    """Every session with a live message (S3.8), whatever the sidebar folds away."""
    with sqlite3.connect(STATE_DB) as connection:
        row = connection.execute(
            "SELECT SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),"
            " SUM(cache_write_tokens), SUM(COALESCE(actual_cost_usd, estimated_cost_usd))"
            " FROM sessions s WHERE EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id"
            " AND COALESCE(m.active, 1) = 1 AND COALESCE(m.display_kind, '') <> 'hidden')"
        ).fetchone()
    return dict(zip((*TOKENS, "cost"), row))


def _claude_responses() -> dict[tuple[str, str], tuple[str, dict]]:
    """The last line's (timestamp, usage) of each (message id, request id) of every response
    recorded: the conversations' own, their inline sidechain turns (1.0.x) and the subagent
    transcripts' (2.0.x ``agent-*.jsonl``, 2.1.x ``<session>/subagents/``)."""
    last: dict[tuple[str, str], tuple[str, dict]] = {}
    agents = [*CLAUDE.glob("*/agent-*.jsonl"), *CLAUDE.glob("*/*/subagents/agent-*.jsonl")]
    assert len(agents) == 7  # the fixtures' subagents: each is linked to its parent
    sessions = [path for path in CLAUDE.glob("*/*.jsonl") if not path.name.startswith("agent-")]
    for path in [*sessions, *agents]:
        for line in path.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            message = record.get("message") if isinstance(record, dict) else None
            if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
                continue
            if message.get("model") == "<synthetic>":
                continue
            key = (str(message.get("id")), str(record.get("requestId")))
            last[key] = (record["timestamp"], message["usage"])
    return last


def _claude_by_day() -> dict[str, tuple[int, int]]:
    """(responses, output tokens) per UTC day of each response's last line."""
    days: dict[str, tuple[int, int]] = {}
    for stamp, usage in _claude_responses().values():
        count, total = days.get(stamp[:10], (0, 0))
        days[stamp[:10]] = (count + 1, total + int(usage.get("output_tokens") or 0))
    return days


@pytest.fixture
def utc():
    """Local days are UTC days for the test (the process's zone is restored after)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_claude_code_usage_is_one_entry_per_response_on_its_own_day(home, utc):
    lines = _usage("--source", "claude_code", "--by", "day")["lines"]
    assert {line["day"]: (line["messages"], line["output_tokens"]) for line in lines} == (
        _claude_by_day())


def _claude_hand_count() -> dict[str, int]:
    fields = {"input_tokens": "input_tokens", "output_tokens": "output_tokens",
              "cache_read_tokens": "cache_read_input_tokens",
              "cache_write_tokens": "cache_creation_input_tokens"}
    usages = [usage for _, usage in _claude_responses().values()]
    return {ours: sum(int(u.get(theirs) or 0) for u in usages)
            for ours, theirs in fields.items()}


def test_agent_usage_equals_a_hand_count_of_the_store(home):
    lines = _usage("--source", "agent_state_db", "--by", "model")["lines"]
    expected = _agent_hand_count()
    for name in TOKENS:
        assert _summed(lines, name) == expected[name], name
    assert _summed(lines, "cost") == pytest.approx(expected["cost"])


def test_claude_code_usage_equals_a_hand_count_and_records_no_cost(home):
    report = _usage("--source", "claude_code", "--by", "source")
    (line,) = report["lines"]
    expected = _claude_hand_count()
    assert {name: line[name] for name in TOKENS} == expected
    assert line["cost"] is None and line["messages_without_cost"] == line["messages"]


def test_every_source_sums_by_day_source_model_and_machine(home):
    everything = _usage("--by", "day", "--by", "source", "--by", "model", "--by", "machine")
    by_source = _usage("--by", "source")
    for name in (*TOKENS, "cost"):
        assert _summed(everything["lines"], name) == pytest.approx(
            _summed(by_source["lines"], name))
    (webui,) = _usage("--source", "json_fs", "--by", "source")["lines"]
    assert (webui["source"], webui["input_tokens"], webui["cost"]) == ("WebUI", 1000, 0.125)
    assert {line["machine"] for line in everything["lines"]} == {"local"}


def test_an_unknown_machine_is_a_typo_not_an_empty_result(home):
    result = CliRunner().invoke(app, ["usage", "--machine", "laptop"])
    assert result.exit_code == 2
    assert "choose from: local" in result.output


def test_the_terminal_table_shows_only_recorded_costs(home):
    result = CliRunner().invoke(app, ["usage", "--by", "source"])
    assert result.exit_code == 0, result.output
    claude = [line for line in result.stdout.splitlines() if line.startswith("Claude Code")]
    assert claude and claude[0].rstrip().endswith("\t0") is False
    fields = claude[0].split("\t")
    assert fields[-2] == ""  # no cost recorded: an empty cell, never 0.0


def test_an_80_column_terminal_shows_every_line_whole(home, monkeypatch):
    """The table and the notes under it fit 80 columns, the notes wrapped between words."""
    import io

    from rich.console import Console

    from hermes_sessions_core.cli import usage as usage_command

    screen = io.StringIO()
    console = Console(file=screen, width=80, force_terminal=True, color_system=None)
    monkeypatch.setattr(usage_command, "out", lambda: console)
    result = CliRunner().invoke(app, ["usage", "--by", "source", "--by", "model"])
    assert result.exit_code == 0, result.output
    lines = screen.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert "Cost: - none recorded, * some entries recorded none." in lines
    words = " ".join(lines[lines.index("Cost: - none recorded, * some entries recorded none.")
                           + 1:]).split()
    assert "no price is estimated." in " ".join(words)


@pytest.fixture
def agents_home(home, monkeypatch):
    """The same home plus the Codex, Gemini CLI and OpenCode fixtures in their places."""
    shutil.copytree(FIXTURES / "codex" / "sessions", home / ".codex" / "sessions")
    shutil.copytree(FIXTURES / "gemini_cli" / "tmp", home / ".gemini" / "tmp")
    shutil.copytree(FIXTURES / "opencode", home / ".local" / "share" / "opencode",
                    ignore=shutil.ignore_patterns("README.md", "*.py"))
    return home


def _codex_hand_count() -> dict[str, int]:
    """Each request once: a token_count event whose cumulative total moved; Codex counts cached
    input inside input, so input here is the uncached part."""
    sums = dict.fromkeys((*TOKENS, "reasoning_tokens"), 0)
    for path in (FIXTURES / "codex").rglob("*.jsonl"):
        previous = None
        for line in path.read_bytes().splitlines():
            record = json.loads(line)
            payload = record.get("payload") or {}
            if record.get("type") != "event_msg" or payload.get("type") != "token_count":
                continue
            info = payload.get("info")
            if not info or info.get("total_token_usage") == previous:
                continue
            previous = info["total_token_usage"]
            last = info["last_token_usage"]
            cached = last.get("cached_input_tokens", 0)
            sums["input_tokens"] += last["input_tokens"] - cached
            sums["cache_read_tokens"] += cached
            sums["output_tokens"] += last["output_tokens"]
            sums["reasoning_tokens"] += last.get("reasoning_output_tokens", 0)
    return sums


def _opencode_hand_count() -> dict[str, float]:
    """The manifest's recorded facts, children's spend included (children are not rows)."""
    manifest = json.loads((FIXTURES / "opencode" / "manifest.json").read_text())
    sums: dict[str, float] = dict.fromkeys((*TOKENS, "reasoning_tokens", "cost"), 0)
    for session in manifest["sessions"]:
        tokens = session["tokens"]
        sums["input_tokens"] += tokens["input"]
        sums["output_tokens"] += tokens["output"]
        sums["cache_read_tokens"] += tokens["cache_read"]
        sums["cache_write_tokens"] += tokens["cache_write"]
        sums["reasoning_tokens"] += tokens["reasoning"]
        sums["cost"] += session["cost"]
    return sums


def test_codex_usage_equals_a_hand_count_with_no_cost(agents_home):
    (line,) = _usage("--source", "codex", "--by", "source")["lines"]
    expected = _codex_hand_count()
    assert {name: line[name] for name in expected} == expected
    assert line["cost"] is None


def test_opencode_usage_equals_the_recorded_facts(agents_home):
    (line,) = _usage("--source", "opencode", "--by", "source")["lines"]
    expected = _opencode_hand_count()
    for name, value in expected.items():
        assert line[name] == pytest.approx(value), name


def test_gemini_usage_counts_each_message_once(agents_home):
    """A message re-appended whole (the JSONL rule) counts once: its last copy."""
    last: dict[str, dict] = {}
    for path in (FIXTURES / "gemini_cli").rglob("session-*.json*"):
        text = path.read_text(encoding="utf-8")
        records = ([json.loads(line) for line in text.splitlines() if line.strip()]
                   if path.suffix == ".jsonl" else json.loads(text)["messages"])
        for record in records:
            if isinstance(record, dict) and record.get("type") == "gemini" and record.get(
                    "tokens"):
                last[f"{path}:{record['id']}"] = record["tokens"]
    (line,) = _usage("--source", "gemini_cli", "--by", "source")["lines"]
    assert line["messages"] == len(last)
    assert line["output_tokens"] == sum(t.get("output", 0) for t in last.values())
    assert line["cache_read_tokens"] == sum(t.get("cached", 0) for t in last.values())
    assert line["cost"] is None


def test_reading_every_transcript_whole_reports_its_progress(agents_home):
    """`usage` reads every transcript whole (seconds per gigabyte): each file-based agent
    reports how far it has got, so the command can draw a bar instead of looking hung."""
    from hermes_sessions_core.cli.usage import _WHOLE_HISTORY

    store = SessionStore(Locations.from_environment(), settings=_WHOLE_HISTORY)
    reports: dict[str, list[tuple[int, int]]] = {}
    try:
        with store.reporting_read_progress(
                lambda source, done, total: reports.setdefault(source, []).append((done, total))):
            rows, _problems = store.every_source_row()
        after = store.context().state
    finally:
        store.close()
    projects = agents_home / ".claude" / "projects"
    files = {"claude_code": len([path for path in projects.glob("*/*.jsonl")
                                 if not path.name.startswith("agent-")]),  # subagents: no rows
             "codex": len(list((agents_home / ".codex").rglob("rollout-*.jsonl")))}
    # ... but each subagent transcript is read whole for its usage, one more step each
    subagents = {"claude_code": len(list(projects.rglob("agent-*.jsonl"))), "codex": 0}
    assert {"claude_code", "codex", "gemini_cli"} <= set(reports)
    for source, seen in reports.items():
        dones = [done for done, _ in seen]
        assert dones == sorted(dones), source  # never goes back
        assert seen[-1][0] == seen[-1][1] > 0, source  # ends complete
    for source, count in files.items():
        # each file summarised, then each one the quick pass only estimated read whole
        assert count <= reports[source][-1][1] <= 2 * count + subagents[source], source
    assert any(name == "codex" for name, _row in rows)
    assert not any(callable(value) for value in after.values())  # the callback is gone


def test_steps_report_a_growing_total_and_nothing_without_a_listener():
    from hermes_sessions_core.progress_reports import Steps

    heard: list[tuple[int, int]] = []
    steps = Steps(lambda done, total: heard.append((done, total)), 2)
    steps.step()
    steps.step()
    steps.add(1)
    steps.add(0)  # nothing found: nothing said
    steps.step()
    assert heard == [(0, 2), (1, 2), (2, 2), (2, 3), (3, 3)]
    quiet = Steps(None, 5)
    quiet.step()
    quiet.add(2)
    assert (quiet.done, quiet.total) == (1, 7)


def test_usage_draws_no_bar_when_stderr_is_not_a_terminal(agents_home):
    result = CliRunner().invoke(app, ["usage", "--by", "source"])
    assert result.exit_code == 0, result.output
    assert "reading" not in result.stderr and "━" not in result.stderr
