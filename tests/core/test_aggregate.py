"""The sidebar rules (S6) on hand-made listings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core import Locations, Problem, SessionRow, SourceListing
from hermes_sessions_core.aggregate import SidebarOptions, build_sidebar

from .fakes import row


def _options(**chosen: Any) -> SidebarOptions:
    """The store names the roles' sources; these tests use the built-in names."""
    return SidebarOptions(
        writable_source="json_fs", agent_sources=frozenset({"agent_state_db"}), **chosen
    )


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    return Locations.from_environment(base_home=tmp_path, state_dir=tmp_path / "s",
                                      root_profile_name="main", environ={})


def listing(source: str, *rows: dict) -> SourceListing:
    return SourceListing(source, tuple(SessionRow.adopt(r) for r in rows))


def ids(result) -> list[str]:
    return [r["session_id"] for r in result.rows]


def test_webui_row_wins_and_fills_missing_source_fields(locations):
    """S6.2: for non-messaging sessions the Web UI row wins; only missing source fields fill;
    pinned, archived and project come from the Web UI row."""
    web = row("s1", title="Mine", pinned=True, project_id="p", source_tag=None, model="m1")
    agent = row("s1", title="Agent", pinned=False, project_id=None, source_tag="cli",
                raw_source="cli", session_source="cli", source_label="CLI", model="m2",
                message_count=50)
    result = build_sidebar([listing("json_fs", web), listing("agent_state_db", agent)],
                           _options(profile="default"), locations)
    (merged,) = result.rows
    assert (merged["title"], merged["model"], merged["pinned"], merged["project_id"]) == ("Mine", "m1", True, "p")
    assert merged["source_tag"] == "cli" and merged["source_label"] == "CLI"
    assert merged["message_count"] == 2


def test_messaging_rows_take_agent_times_and_larger_count(locations):
    """S6.2: messaging sessions take the agent's times and source fields, the larger count,
    the agent title only over Untitled, the agent model only over missing/unknown."""
    web = row("m1", title="Untitled", model="unknown", message_count=3, updated_at=10.0,
              last_message_at=10.0, session_source="messaging", archived=False)
    agent = row("m1", title="Telegram chat", model="gpt", message_count=9, updated_at=99.0,
                last_message_at=99.0, session_source="messaging", source_label="Telegram",
                raw_source="telegram", user_id="u")
    (merged,) = build_sidebar([listing("json_fs", web), listing("agent_state_db", agent)],
                              _options(profile="default"), locations).rows
    assert merged["title"] == "Telegram chat" and merged["model"] == "gpt"
    assert merged["message_count"] == 9 and merged["last_message_at"] == 99.0
    assert merged["source_label"] == "Telegram" and merged["user_id"] == "u"
    named = row("m1", title="Renamed", model="mine", session_source="messaging")
    (kept,) = build_sidebar([listing("json_fs", named), listing("agent_state_db", agent)],
                            _options(profile="default"), locations).rows
    assert kept["title"] == "Renamed" and kept["model"] == "mine"


def test_cli_switch_hides_agent_rows_and_imported_copies(locations):
    """S6.3: with show_cli_sessions off, no agent rows and no imported CLI copies."""
    imported = row("c1", is_cli_session=True, raw_source="cli", source_tag="cli")
    own = row("w1")
    agent = row("a1", raw_source="cli", is_cli_session=True)
    options = _options(profile="default", show_cli_sessions=False)
    result = build_sidebar([listing("json_fs", imported, own), listing("agent_state_db", agent)],
                           options, locations)
    assert ids(result) == ["w1"]


def test_rename_persists_across_compression_segments(locations):
    """S6.4: a Web UI title under a segment id replaces the agent title, nearest tip first."""
    agent = row("tip", title="Agent title", _lineage_segment_ids=["tip", "mid", "head"])
    head_copy = row("head", title="Head rename", archived=True)
    mid_copy = row("mid", title="Mid rename", archived=True)
    result = build_sidebar([listing("json_fs", head_copy, mid_copy), listing("agent_state_db", agent)],
                           _options(profile="default"), locations)
    assert [(r["session_id"], r["title"]) for r in result.rows] == [("tip", "Mid rename")]


def test_sort_pinned_then_time_then_id_as_floats(locations):
    """S6.5, S8.16: pinned first, newest activity, id tie-break; ISO text and floats mix."""
    rows = [
        row("a", last_message_at="2026-01-01T00:00:00Z"),
        row("b", last_message_at=1767225600.0),
        row("c", last_message_at=5.0, pinned=True),
        row("d", last_message_at=None, updated_at=1767225700.0),
    ]
    result = build_sidebar([listing("json_fs", *rows)], _options(profile="default"), locations)
    assert ids(result) == ["c", "d", "b", "a"]


def test_drafts_hidden_but_streaming_pending_and_worktree_kept(locations):
    """S6.6: empty Untitled drafts hide; streaming first turns, pending and worktrees stay."""
    rows = [
        row("draft", title="Untitled", message_count=0),
        row("stream", title="Untitled", message_count=0, active_stream_id="s"),
        row("pending", title="Untitled", message_count=0, has_pending_user_message=True),
        row("tree", title="Untitled", message_count=0, worktree_path="/x"),
    ]
    result = build_sidebar([listing("json_fs", *rows)], _options(profile="default"), locations)
    assert sorted(ids(result)) == ["pending", "stream", "tree"]


def test_cron_and_archived_hidden_unless_requested(locations):
    """S6.7: cron rows (tag or id) and archived rows need an explicit request."""
    rows = [row("cron_job_1"), row("x", source_tag="cron"), row("arch", archived=True), row("keep")]
    hidden = build_sidebar([listing("json_fs", *rows)], _options(profile="default"), locations)
    assert ids(hidden) == ["keep"]
    shown = build_sidebar([listing("json_fs", *rows)],
                          _options(profile="default", include_cron=True, include_archived=True),
                          locations)
    assert sorted(ids(shown)) == ["arch", "cron_job_1", "keep", "x"]


def test_profile_scoping_and_other_profile_count(locations):
    """S6.8: only the active profile; Claude Code rows everywhere; missing means default;
    default and the renamed root match; named profiles never match each other."""
    rows = [
        row("d", profile="default"), row("m", profile="main"), row("none", profile=None),
        row("w", profile="work"),
        row("cc", profile=None, session_source="external_agent"),
    ]
    result = build_sidebar([listing("json_fs", *rows)], _options(profile="main"), locations)
    assert sorted(ids(result)) == ["cc", "d", "m", "none"]
    assert result.other_profile_count == 1
    work = build_sidebar([listing("json_fs", *rows)], _options(profile="work"), locations)
    assert sorted(ids(work)) == ["cc", "w"] and work.other_profile_count == 3
    everything = build_sidebar([listing("json_fs", *rows)],
                               _options(profile="work", all_profiles=True), locations)
    assert len(everything.rows) == 5 and everything.other_profile_count == 0


def test_newest_row_per_messaging_identity(locations):
    """S6.9: one row per platform + session key (or chat/thread/user), the newest."""
    rows = [
        row("old", session_source="messaging", platform="telegram", session_key="k", last_message_at=1.0),
        row("new", session_source="messaging", platform="telegram", session_key="k", last_message_at=2.0),
        row("other", session_source="messaging", platform="slack", session_key="k", last_message_at=1.5),
        row("chat1", session_source="messaging", platform="discord", chat_id="c", last_message_at=1.0),
        row("chat2", session_source="messaging", platform="discord", chat_id="c", last_message_at=3.0),
    ]
    result = build_sidebar([listing("agent_state_db", *rows)], _options(profile="default"), locations)
    assert sorted(ids(result)) == ["chat2", "new", "other"]


def test_cli_rows_capped_after_merge(locations):
    """S6.10: at most N CLI-classified rows remain, the newest."""
    rows = [row(f"cli{i}", raw_source="cli", is_cli_session=True, last_message_at=1000.0 + i) for i in range(30)]
    result = build_sidebar([listing("agent_state_db", *rows), listing("json_fs", row("web"))],
                           _options(profile="default", cli_row_limit=20), locations)
    cli = [r for r in result.rows if r["session_id"].startswith("cli")]
    assert len(cli) == 20 and cli[-1]["session_id"] == "cli10"
    assert "web" in ids(result)
    assert result.capped_cli_count == 10  # said by the command line, never silent


def test_lineage_enrichment_only_adds_and_stays_per_profile(locations):
    """S6.11, S8.15: first N Web UI rows, each from its own profile's store; existing keys
    (a fork's parent) are never replaced; archived rows are not enriched."""
    calls = []

    def lineage(profile, session_ids):
        calls.append((profile, session_ids))
        return {sid: {"parent_session_id": "from-db", "_lineage_root_id": "root"} for sid in session_ids}, []

    rows = [row("a", profile="default"), row("b", profile="main", parent_session_id="fork"),
            row("c", profile="default", last_message_at=1.0), row("arch", archived=True)]
    options = _options(profile="default", all_profiles=True, include_archived=True, enrich_limit=3)
    result = build_sidebar([listing("json_fs", *rows)], options, locations, lineage=lineage)
    by_id = {r["session_id"]: r for r in result.rows}
    assert by_id["a"]["_lineage_root_id"] == "root" and by_id["a"]["parent_session_id"] == "from-db"
    assert by_id["b"]["parent_session_id"] == "fork" and by_id["b"]["_lineage_root_id"] == "root"
    assert "_lineage_root_id" not in by_id["c"] and "_lineage_root_id" not in by_id["arch"]
    assert sorted(p for p, _ in calls) == ["default", "main"]


def test_problems_are_carried_through(locations):
    """S6.14: a source's problems reach the listing; its rows still count."""
    problem = Problem("agent_state_db", "hermes_sessions_list_rows", "DatabaseError", "locked", "/x/state.db")
    broken = SourceListing("agent_state_db", (SessionRow.adopt(row("a1")),), (problem,))
    result = build_sidebar([broken], _options(profile="default"), locations)
    assert result.problems == (problem,) and ids(result) == ["a1"]
