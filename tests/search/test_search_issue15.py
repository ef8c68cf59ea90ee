"""Issue 15's search items, as a user meets them: agent titles and tool-call arguments are
found with a readable snippet, hits name the row the sidebar shows at the stitched position,
top-N is a prefix of top-(N+k) across sources, the first search reports its indexing, and
``--since``/``--until`` take the same words as ``list --since``."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_agent_state_db import clear_cache
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.testing import original_record
from hermes_sessions_core.testing.samples import encode_original

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEAD, TIP = "20261123_212025_78dade", "20261123_212026_5dae6d"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A Hermes home: the real state.db sample (a three-segment chain titled "Fix flaky
    payment test"), one tool call in the chain's head, Web UI sessions whose titles tie, and
    the Claude Code sample transcripts."""
    base = tmp_path / "hermes"
    base.mkdir()
    shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", base / "state.db")
    connection = sqlite3.connect(base / "state.db", isolation_level=None)
    stamp = connection.execute(
        "SELECT MIN(timestamp) FROM messages WHERE session_id = ?", (HEAD,)
    ).fetchone()[0]
    arguments = json.dumps({"command": "pytest tests/payments -k zanzibarquux"})
    connection.execute(
        "INSERT INTO messages(session_id, role, content, tool_calls, timestamp)"
        " VALUES (?, 'assistant', '', ?, ?)",
        (HEAD, json.dumps([{"id": "c1", "type": "function", "function": {
            "name": "terminal", "arguments": arguments}}]), stamp + 0.5),
    )
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    sessions = tmp_path / "webui" / "sessions"
    sessions.mkdir(parents=True)
    now = time.time()
    for number in range(30):
        words = ("sidebar cache merge", "token sidebar thread", "Sidebar")[number % 3]
        record = original_record(
            f"side{number:08d}", [{"role": "user", "content": f"the sidebar layout {number}",
                                   "timestamp": now - number * 60}],
            title=words, updated_at=now - number * 60,
        )
        (sessions / f"side{number:08d}.json").write_bytes(encode_original(record))
    shutil.copytree(FIXTURES / "claude_code", tmp_path / "claude",
                    ignore=shutil.ignore_patterns("README.md"))
    clear_cache()
    registry.forget_all()
    yield base
    registry.forget_all()


def _store(home: Path) -> SessionStore:
    locations = Locations.from_environment(
        base_home=home, state_dir=home.parent / "webui", claude_projects_dir=home.parent / "claude",
        environ={},
    )
    return SessionStore(locations, plugin_manager=make_plugin_manager(entry_points=False))


def _cli(home: Path, *args: str) -> Any:
    options = ["--home", str(home), "--state-dir", str(home.parent / "webui"),
               "--claude-dir", str(home.parent / "claude")]
    return CliRunner().invoke(app, ["search", *args, *options])


def test_agent_titles_are_searched_and_name_the_tip(home: Path) -> None:
    """`search "Fix flaky payment" --source agent_state_db` finds the chain's title, once,
    under the id the sidebar shows (the tip, not the head that holds the title)."""
    result = _cli(home, "Fix flaky payment", "--source", "agent_state_db", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    assert [(h["session_id"], h["match_type"]) for h in hits][:1] == [(TIP, "title")]
    assert hits[0]["title"] == "Fix flaky payment test" and hits[0]["position"] is None
    assert HEAD not in {h["session_id"] for h in hits}


def test_a_match_in_tool_call_arguments_shows_them(home: Path) -> None:
    """A term only in a tool call's arguments gives a snippet of those arguments, decoded
    (no blank line, no escaped JSON), highlighted where it matched."""
    store = _store(home)
    (hit,) = store.search("zanzibarquux", sources=["agent_state_db"]).hits
    assert "pytest tests/payments -k zanzibarquux" in hit.snippet and '\\"' not in hit.snippet
    (start, end), = hit.highlights
    assert hit.snippet[start:end] == "zanzibarquux"
    assert hit.session_id == TIP
    message = store.get(TIP).messages[hit.position]
    assert "zanzibarquux" in json.dumps(message["tool_calls"])


def test_positions_count_in_the_stitched_transcript_of_the_tip(home: Path) -> None:
    """Every agent hit opens with `show <id>` / store.get at the matched message, also when
    the message lies in an earlier segment of the chain."""
    store = _store(home)
    listing = store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
    listed = {row.session_id for row in listing.rows}
    hits = store.search("the", sources=["agent_state_db"], all_profiles=True, limit=40,
                        per_session=20).hits
    segments = {h.position for h in hits if h.session_id == TIP}
    head_messages = len(store.get(HEAD).messages)
    assert any(p is not None and p < head_messages for p in segments)  # in the head's part
    assert any(p is not None and p >= head_messages for p in segments)  # in a later segment
    for hit in hits:
        assert hit.session_id in listed, hit.session_id
        assert hit.position is not None
        text = json.dumps(store.get(hit.session_id).messages[hit.position], ensure_ascii=False)
        assert "the" in text.lower(), (hit.session_id, hit.position)


@pytest.mark.parametrize("text", ["sidebar", "the", "test", "payment", "plan"])
@pytest.mark.parametrize("per_session", [1, 3])
def test_top_n_is_a_prefix_of_any_longer_answer(home: Path, text: str, per_session: int) -> None:
    """For several N, the first N hits of a search for 60 are exactly the search for N, across
    every source (json_fs titles tie on bm25, so only a total order passes)."""
    store = _store(home)
    full = store.search(text, all_profiles=True, limit=60, per_session=per_session).hits
    assert full, text
    for limit in (1, 2, 3, 5, 8, 10, 13, 20, 21, 34):
        short = store.search(text, all_profiles=True, limit=limit, per_session=per_session).hits
        assert [(h.source, h.session_id, h.position) for h in short] == [
            (h.source, h.session_id, h.position) for h in full[:limit]
        ], (text, limit)


def test_the_newest_exact_title_match_ranks_first(home: Path) -> None:
    """`search sidebar -n 1`: the title that is exactly the query, newest first among equals."""
    result = _cli(home, "sidebar", "-n", "1", "--json")
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.stdout)["hits"]
    assert (hit["session_id"], hit["title"], hit["score"]) == ("side00000002", "Sidebar", 1.0)


def test_the_first_search_reports_its_indexing(home: Path) -> None:
    """A host that asks gets (source, done, total) while the first search builds indexes, and
    nothing once they are current; a host that does not ask sees the same hits."""
    calls: list[tuple[str, int, int]] = []
    store = _store(home)
    with store.reporting_index_progress(lambda *call: calls.append(call)):
        first = store.search("sidebar", limit=5).hits
    assert ("json_fs", 30, 30) in calls and any(c[0] == "claude_code" for c in calls)
    calls.clear()
    with store.reporting_index_progress(lambda *call: calls.append(call)):
        again = store.search("sidebar", limit=5).hits
    assert [c for c in calls if c[2]] == [] and again == first
    assert "hermes_sessions_core.search:index_progress" not in store.context().state


def test_json_output_stays_clean_while_indexes_are_built(home: Path) -> None:
    """`search --json` on a home without indexes prints only JSON on stdout."""
    result = _cli(home, "sidebar", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"]


def test_since_and_until_take_the_words_of_list_since(home: Path) -> None:
    """7d, today, an ISO date and epoch seconds work; nonsense exits 2 with the accepted forms."""
    recent = json.loads(_cli(home, "sidebar", "--since", "7d", "--json", "-n", "50").stdout)["hits"]
    assert recent and all(h["source"] == "json_fs" for h in recent)
    old = json.loads(_cli(home, "payment", "--until", "2027-01-01", "--json").stdout)["hits"]
    assert old and {h["source"] for h in old} == {"agent_state_db"}
    assert json.loads(_cli(home, "payment", "--since", "yesterday", "--json").stdout)["hits"] == []
    epoch = json.loads(_cli(home, "sidebar", "--since", str(int(time.time()) - 600), "--json",
                            "-n", "50").stdout)["hits"]
    assert 0 < len(epoch) < len(recent)
    bad = _cli(home, "sidebar", "--until", "soonish")
    assert bad.exit_code == 2 and "7d" in bad.output and "today" in bad.output
