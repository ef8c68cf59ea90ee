"""`hermes-sessions search` takes its query as words: several words without quotes, words that
start with `-`, and options anywhere among them (issue 15: `search -word` needed `--`)."""

from __future__ import annotations

import json

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HERMES_HOME", str(tmp_path / "hermes"))
    store = SessionStore(
        Locations.from_environment(claude_projects_dir=tmp_path / "none"),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
    )
    for number, text in enumerate(("deploy kubernetes cluster", "deploy the docs",
                                   "kubernetes flaky test")):
        store.save(Session(session_id=f"word0000000{number}", title=f"chat {number}",
                           messages=[{"role": "user", "content": text}]))
    store.close()
    registry.forget_all()
    yield
    registry.forget_all()


def hits(*args: str) -> tuple[str, list[str]]:
    result = CliRunner().invoke(app, ["search", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["query"], sorted({hit["session_id"] for hit in data["hits"]})


def test_several_words_need_no_quotes():
    assert hits("deploy", "kubernetes") == ("deploy kubernetes", ["word00000000"])


def test_a_word_may_start_with_a_dash():
    query, found = hits("-flaky")
    assert query == "-flaky" and found == ["word00000002"]


def test_options_may_come_between_words_in_every_spelling():
    for options in (["-n", "1"], ["-n1"], ["--limit", "1"], ["--limit=1"]):
        result = CliRunner().invoke(app, ["search", "deploy", *options, "--json", "docs"])
        assert result.exit_code == 0, (options, result.output)
        data = json.loads(result.stdout)
        assert data["query"] == "deploy docs"
        assert [hit["session_id"] for hit in data["hits"]] == ["word00000001"]


def test_after_a_double_dash_everything_is_a_word():
    assert hits("--", "--limit")[0] == "--limit"


def test_help_and_a_missing_query_still_behave():
    helped = CliRunner().invoke(app, ["search", "--help"])
    assert helped.exit_code == 0 and "A word may start" in " ".join(helped.stdout.split())
    missing = CliRunner().invoke(app, ["search"])
    assert missing.exit_code == 2
