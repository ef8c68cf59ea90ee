"""Generated stores in the current, legacy, minimal and damaged schemas; manifest.json is the truth."""

from __future__ import annotations

from typing import Any

from hermes_sessions_agent_state_db import (
    agent_messages,
    lineage_metadata,
    lineage_report,
    list_agent_rows,
)

from .helpers import AgentHome


def _rows(home: AgentHome) -> dict[str, dict[str, Any]]:
    listing = list_agent_rows(home.locations, "default", limit=1000, ttl=0)
    assert listing.problems == ()
    return {row.session_id: row.to_dict() for row in listing.rows}


def _own_count(home: AgentHome, session_id: str, live: bool = False) -> int:
    with home.connect() as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(messages)")}
        condition = " AND active <> 0" if live and "active" in columns else ""
        return connection.execute(
            f"SELECT COUNT(*) FROM messages WHERE session_id = ?{condition}", (session_id,)
        ).fetchone()[0]


def _plain_chains(home: AgentHome) -> list[dict[str, Any]]:
    """Chains without the quirks' sibling and hop-cap cases (tested on their own)."""
    quirks = home.manifest.get("quirks") or {}
    special = set(quirks.get("long_chain", [])) | {
        (quirks.get("sibling_continuations") or {}).get("parent")
    }
    return [c for c in home.manifest["compression_chains"] if c["root"] not in special]


def test_every_schema_lists(generated: AgentHome) -> None:
    """S3.3, S8.26: current, legacy, minimal (no title column) and damaged stores all list."""
    rows = _rows(generated)
    assert len(rows) >= 20
    assert all(isinstance(r["updated_at"], float) for r in rows.values())
    times = [r["last_message_at"] for r in rows.values()]
    assert times == sorted(times, reverse=True)


def test_compression_chains_collapse_to_their_tip(generated: AgentHome) -> None:
    """S3.5, S3.9: each manifest chain is one row at its tip; older segments are hidden."""
    rows = _rows(generated)
    for chain in _plain_chains(generated):
        row = rows[chain["tip"]]
        assert row["_lineage_root_id"] == chain["root"]
        assert row["_compression_segment_count"] == len(chain["segments"])
        assert row["_lineage_segment_ids"] == list(reversed(chain["segments"]))
        for segment in chain["segments"][:-1]:
            assert segment not in rows


def test_chain_views_agree(generated: AgentHome) -> None:
    """S3.4: listing, transcript, lineage metadata and report agree on head and segments."""
    tips = [c["tip"] for c in _plain_chains(generated)]
    meta = lineage_metadata(generated.db, tips)
    for chain in _plain_chains(generated):
        tip, count = chain["tip"], len(chain["segments"])
        assert meta[tip]["_lineage_root_id"] == chain["root"]
        assert meta[tip]["_compression_segment_count"] == count
        report = lineage_report(generated.db, tip)
        assert report["lineage_key"] == chain["root"] and report["total_segments"] == count
        assert [s["session_id"] for s in report["segments"]] == list(reversed(chain["segments"]))
        assert report["mutation"] is False
        stitched = agent_messages(generated.db, tip)
        assert len(stitched) == sum(_own_count(generated, s, live=True) for s in chain["segments"])


def test_cli_close_resumptions_continue(generated: AgentHome) -> None:
    """S3.4: a cli_close parent and its later child are one conversation."""
    rows = _rows(generated)
    for pair in generated.manifest["cli_close_continuations"]:
        assert pair["parent"] not in rows
        assert rows[pair["child"]]["_lineage_root_id"] == pair["parent"]


def test_branch_subagent_reset_and_cross_source_children_stand_alone(generated: AgentHome) -> None:
    """S3.4, S3.11: branch, subagent, reset and cross-source children are never continuations."""
    manifest = generated.manifest
    children = (
        manifest["branch_children"] + manifest["subagent_children"]
        + manifest["reset_children"] + manifest["cross_source_children"]
    )
    meta = lineage_metadata(generated.db, [c["child"] for c in children])
    for pair in children:
        keys = meta[pair["child"]]
        assert keys["relationship_type"] == "child_session"
        assert keys["parent_session_id"] == pair["parent"]
        assert "_lineage_root_id" not in keys
    for pair in manifest["cross_source_children"]:
        assert meta[pair["child"]]["_cross_surface_child_session"] is True
        assert meta[pair["child"]]["parent_source"] == pair["parent_source"]
    rows = _rows(generated)
    for pair in manifest["branch_children"]:
        assert rows[pair["child"]]["relationship_type"] == "child_session"


def test_cron_titles_come_from_jobs_json(generated: AgentHome) -> None:
    """S3.15: an untitled cron run takes its job's name; a deleted job falls back."""
    rows = _rows(generated)
    untitled = set(generated.manifest["untitled_sessions"])
    checked = 0
    for run in generated.manifest["cron_runs"]:
        row = rows.get(run["id"])
        if row is None or run["id"] not in untitled:
            continue
        expected = run["job_name"] if run["job_in_jobs_json"] else "Cron Session"
        assert row["title"] == expected
        checked += 1
    hidden_or_named = [r for r in generated.manifest["cron_runs"] if r["id"] in untitled]
    assert checked or not hidden_or_named or all(not r["job_in_jobs_json"] for r in hidden_or_named)


def test_empty_and_mirror_rows_are_hidden(generated: AgentHome) -> None:
    """S3.8: empty sessions and WebUI usage mirrors without message rows are not listed."""
    rows = _rows(generated)
    for session_id in generated.manifest["empty_sessions"]:
        assert session_id not in rows
    for session_id in generated.manifest["webui_rows_without_messages"]:
        assert session_id not in rows


def test_rewound_rows_are_not_counted(generated: AgentHome) -> None:
    """S3.8, S3.17: undone rows (active = 0) are not counted and never shown."""
    for item in generated.manifest["rewound"]:
        messages = agent_messages(generated.db, item["id"], include_compacted=True)
        assert len(messages) == _own_count(generated, item["id"]) - item["inactive_rows"]
