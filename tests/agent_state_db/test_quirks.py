"""Damaged rows from ``make_state_db.py --quirks``: none of them may empty the list (S8.26)."""

from __future__ import annotations

from hermes_sessions_agent_state_db import (
    agent_messages,
    delete_agent_session,
    lineage_metadata,
    lineage_report,
    list_agent_rows,
)
from hermes_sessions_agent_state_db.continuation import MAX_HOPS

from .helpers import AgentHome


def _rows(home: AgentHome) -> dict[str, dict]:
    listing = list_agent_rows(home.locations, "default", limit=1000, ttl=0)
    assert listing.problems == ()
    return {row.session_id: row.to_dict() for row in listing.rows}


def _live(home: AgentHome, session_ids: list[str]) -> int:
    with home.connect() as connection:
        return sum(
            connection.execute(
                "SELECT COUNT(*) FROM messages WHERE session_id = ? AND active <> 0", (sid,)
            ).fetchone()[0]
            for sid in session_ids
        )


def test_twenty_five_segment_chain_is_capped_consistently(quirks: AgentHome) -> None:
    """S3.6: 20 hops from the tip; row, metadata, transcript and report agree; report flags it."""
    chain = quirks.manifest["quirks"]["long_chain"]
    tip, capped_head = chain[-1], chain[-1 - MAX_HOPS]
    row = _rows(quirks)[tip]
    assert row["_compression_segment_count"] == MAX_HOPS + 1
    assert row["_lineage_root_id"] == capped_head
    assert row["_lineage_segment_ids"] == list(reversed(chain))[: MAX_HOPS + 1]
    assert all(segment not in _rows(quirks) for segment in chain[:-1])
    meta = lineage_metadata(quirks.db, [tip])[tip]
    assert meta["_lineage_root_id"] == capped_head
    assert meta["_compression_segment_count"] == MAX_HOPS + 1
    report = lineage_report(quirks.db, tip)
    assert report["total_segments"] == MAX_HOPS + 1 and report["lineage_key"] == capped_head
    assert report["manual_review"] is True
    assert report["segments"][0]["role"] == "tip"
    assert {s["role"] for s in report["segments"][1:]} == {"hidden_segment"}
    assert len(agent_messages(quirks.db, tip)) == _live(quirks, chain[-1 - MAX_HOPS:])


def test_parent_cycle_rows_stand_alone(quirks: AgentHome) -> None:
    """S3.10: both rows of a parent cycle are listed, each as its own row without parent keys."""
    first, second = quirks.manifest["quirks"]["parent_cycle"]
    rows = _rows(quirks)
    for session_id in (first, second):
        assert session_id in rows
        assert "parent_session_id" not in rows[session_id]
        assert "_lineage_root_id" not in rows[session_id]
        report = lineage_report(quirks.db, session_id)
        assert report["found"] and report["total_segments"] == 1 and report["manual_review"]
        assert len(agent_messages(quirks.db, session_id)) == _live(quirks, [session_id])
    assert lineage_metadata(quirks.db, [first, second]) == {}


def test_orphan_parent_exposes_nothing(quirks: AgentHome) -> None:
    """S3.10, S3.19: a parent missing from the store exposes no parent fields."""
    orphan = quirks.manifest["quirks"]["orphan_parent"]
    row = _rows(quirks)[orphan]
    assert "parent_session_id" not in row and "parent_title" not in row
    assert lineage_metadata(quirks.db, [orphan]) == {}


def test_compression_parent_without_end_time_is_continued(quirks: AgentHome) -> None:
    """S3.4: a compression parent with no ended_at is continued by its child."""
    pair = quirks.manifest["quirks"]["compression_parent_without_ended_at"]
    rows = _rows(quirks)
    assert pair["parent"] not in rows
    assert rows[pair["child"]]["_lineage_root_id"] == pair["parent"]


def test_sibling_continuation_off_the_tip_path_is_its_own_row(quirks: AgentHome) -> None:
    """S3.5, S3.10, S3.20: the newest continuation is the tip path; the other is its own row."""
    sibling = quirks.manifest["quirks"]["sibling_continuations"]
    parent, (older, newer) = sibling["parent"], sibling["children"]
    rows = _rows(quirks)
    assert parent not in rows
    assert rows[newer]["_lineage_root_id"] == parent
    assert older in rows
    assert lineage_report(quirks.db, older)["manual_review"] is True
    assert lineage_report(quirks.db, newer)["manual_review"] is True


def test_damaged_cells_still_open(quirks: AgentHome) -> None:
    """S0.1, S3.2, S3.3: ISO and absurd times, non-JSON tool_calls, invalid UTF-8, 2 MB rows."""
    damaged = quirks.manifest["quirks"]["damaged_cells"]["session"]
    row = _rows(quirks)[damaged]
    assert row["title"] == "Weird title with controls"
    assert row["last_message_at"] < 253402300799.0
    messages = agent_messages(quirks.db, damaged)
    assert len(messages) == 5
    by_content = {str(m["content"])[:20]: m for m in messages}
    iso = by_content["timestamp stored as "]
    assert isinstance(iso["timestamp"], float)
    garbage = by_content["garbage timestamp"]
    assert garbage["timestamp"] is None and messages[-1] is garbage
    assert any(m.get("tool_calls") == "{not json" for m in messages)
    assert any("\ufffd" in str(m["content"]) for m in messages)
    assert any(len(str(m["content"])) == 2_000_000 for m in messages)


def test_empty_source_and_zero_start(quirks: AgentHome) -> None:
    """S3.3, S3.12: an empty source is labelled Agent with a null raw_source."""
    rows = _rows(quirks)
    empty = rows[quirks.manifest["quirks"]["empty_source"]]
    assert empty["source_label"] == "Agent" and empty["raw_source"] is None
    assert empty["source_tag"] == "cli"
    zero = rows[quirks.manifest["quirks"]["started_at_zero"]]
    assert zero["title"] == "Quirk: started_at zero"
    assert zero["updated_at"] > 0


def test_delete_removes_every_collapsed_segment(quirks: AgentHome) -> None:
    """S3.21, S8.20: deleting a tip deletes the segments its row collapsed; children stay."""
    chains = [c for c in quirks.manifest["compression_chains"] if len(c["segments"]) == 3]
    chain = chains[0]
    assert delete_agent_session(quirks.db, chain["tip"]) is True
    assert delete_agent_session(quirks.db, chain["tip"]) is False
    with quirks.connect() as connection:
        for segment in chain["segments"]:
            assert connection.execute(
                "SELECT COUNT(*) FROM sessions WHERE id = ?", (segment,)).fetchone()[0] == 0
            assert connection.execute(
                "SELECT COUNT(*) FROM messages WHERE session_id = ?", (segment,)).fetchone()[0] == 0
    rows = _rows(quirks)
    assert all(segment not in rows for segment in chain["segments"])
