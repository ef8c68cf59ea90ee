"""The agent's own ``state.db`` (real_small.db, written by hermes-agent's SessionDB)."""

from __future__ import annotations

from hermes_sessions_agent_state_db import (
    agent_messages,
    count_conversation_rounds,
    lineage_metadata,
    list_agent_rows,
)

from .helpers import AgentHome

CHAIN = ("20261123_212025_78dade", "20261123_212025_2340b5", "20261123_212026_5dae6d")
SUBAGENT = "20261123_212026_e90dc2"
BRANCH_PARENT, BRANCH_CHILD = "20261123_212026_ced335", "20261123_212026_df7ded"
TELEGRAM = "20261123_212026_f91284f9"
CRON = "cron_5afbaeed357d_20261123_212026"
COMPACTED = "20261123_212026_e3f24c"
EMPTY = "20261123_212026_ab4f54"


def _rows(home: AgentHome) -> dict[str, dict]:
    listing = list_agent_rows(home.locations, "default", limit=50, ttl=0)
    assert listing.problems == ()
    return {row.session_id: row.to_dict() for row in listing.rows}


def test_compression_chain_is_one_row_with_head_title(real_small: AgentHome) -> None:
    """S3.9: a chain is one row: tip id and counts, head title, lineage keys and segment ids."""
    rows = _rows(real_small)
    assert CHAIN[0] not in rows and CHAIN[1] not in rows
    row = rows[CHAIN[2]]
    assert row["title"] == "Fix flaky payment test"
    assert row["_lineage_root_id"] == CHAIN[0]
    assert row["_lineage_tip_id"] == CHAIN[2]
    assert row["_compression_segment_count"] == 3
    assert row["_lineage_segment_ids"] == [CHAIN[2], CHAIN[1], CHAIN[0]]
    assert row["message_count"] == 3
    assert row["is_cli_session"] is True and row["pinned"] is False and row["archived"] is False
    assert row["profile"] == "default"
    assert row["end_reason"] == "cli_close"
    assert row["created_at"] < row["updated_at"]


def test_session_with_parent_row_opens_stitched_not_empty(real_small: AgentHome) -> None:
    """S8.1, S3.18: the tip of a chain opens with every segment's messages, in time order."""
    messages = agent_messages(real_small.db, CHAIN[2])
    assert len(messages) == 8 + 5 + 3
    stamps = [m["timestamp"] for m in messages]
    assert stamps == sorted(stamps)
    assert messages[0]["role"] == "user"
    middle = agent_messages(real_small.db, CHAIN[1])
    assert len(middle) == 8 + 5


def test_tool_and_reasoning_metadata_decoded(real_small: AgentHome) -> None:
    """S3.17: tool_calls decoded from JSON, tool rows carry tool_call_id, tool_name and name."""
    messages = agent_messages(real_small.db, CHAIN[2])
    calls = [m for m in messages if m.get("tool_calls")]
    assert calls and all(isinstance(m["tool_calls"], list) for m in calls)
    tools = [m for m in messages if m["role"] == "tool"]
    assert tools and all(m["tool_call_id"] and m["name"] == m["tool_name"] for m in tools)
    assert any(m.get("reasoning") for m in messages)
    assert any(isinstance(m.get("reasoning_details"), list) for m in messages)
    assert all("tool_calls" not in m or m["tool_calls"] for m in messages)  # empty values dropped


def test_compaction_summaries_are_flagged(real_small: AgentHome) -> None:
    """S3.17: messages starting with the compaction marker get kind "compaction"."""
    messages = agent_messages(real_small.db, CHAIN[2])
    flagged = [m for m in messages if m.get("kind") == "compaction"]
    assert len(flagged) == 2
    assert all(m["content"].startswith("[CONTEXT COMPACTION") for m in flagged)


def test_multimodal_content_becomes_parts_with_image_placeholder(real_small: AgentHome) -> None:
    """S3.17, S4.13: NUL + json: content is decoded; the image becomes a placeholder."""
    messages = agent_messages(real_small.db, TELEGRAM)
    parts = [m["content"] for m in messages if isinstance(m["content"], list)]
    assert parts == [[
        {"type": "text", "text": "what is this plant?"},
        {"type": "text", "text": "[image: image/png]"},
    ]]
    assert "base64" not in repr(messages)


def test_in_place_compaction_counts_only_live_rows(real_small: AgentHome) -> None:
    """S3.8, S3.17: archived compacted rows are neither counted nor shown unless asked for."""
    row = _rows(real_small)[COMPACTED]
    assert row["message_count"] == 4 and row["actual_message_count"] == 4
    assert len(agent_messages(real_small.db, COMPACTED)) == 4
    assert len(agent_messages(real_small.db, COMPACTED, include_compacted=True)) == 10


def test_children_keep_their_own_rows(real_small: AgentHome) -> None:
    """S3.11: a /branch child is its own row with its parent's title and source."""
    rows = _rows(real_small)
    child = rows[BRANCH_CHILD]
    assert child["parent_session_id"] == BRANCH_PARENT
    assert child["relationship_type"] == "child_session"
    assert child["parent_title"] == "Kyoto trip plan"
    assert child["parent_source"] == "cli"
    assert child["_parent_lineage_root_id"] == BRANCH_PARENT
    assert "_lineage_root_id" not in child
    assert BRANCH_PARENT in rows


def test_delegated_subagent_is_not_a_continuation(real_small: AgentHome) -> None:
    """S3.4, S3.19: _delegate_from in model_config keeps the subagent out of the chain."""
    meta = lineage_metadata(real_small.db, [SUBAGENT, CHAIN[2], CHAIN[0]])
    assert meta[SUBAGENT]["relationship_type"] == "child_session"
    assert meta[SUBAGENT]["_parent_lineage_root_id"] == CHAIN[0]
    assert meta[SUBAGENT]["_cross_surface_child_session"] is True
    assert "_lineage_root_id" not in meta[SUBAGENT]
    assert meta[CHAIN[2]] == {
        "parent_session_id": CHAIN[1], "_lineage_root_id": CHAIN[0],
        "_compression_segment_count": 3,
    }
    assert CHAIN[0] not in meta
    assert len(agent_messages(real_small.db, SUBAGENT)) == 4


def test_sources_titles_and_identity(real_small: AgentHome) -> None:
    """S3.12, S3.15, S3.16: labels, fallback titles, messaging identity; empty rows hidden."""
    rows = _rows(real_small)
    telegram = rows[TELEGRAM]
    assert telegram["title"] == "Telegram Session"
    assert telegram["session_source"] == "messaging" and telegram["source_label"] == "Telegram"
    assert telegram["raw_source"] == "telegram" and telegram["source_tag"] == "telegram"
    assert telegram["chat_type"] == "dm" and telegram["session_key"].startswith("agent:main:telegram")
    assert telegram["user_id"] and telegram["chat_id"]
    cron = rows[CRON]
    assert cron["session_source"] == "cron" and cron["source_label"] == "Cron"
    assert cron["title"] == "daily-news-digest · Nov 23 21:20"
    assert cron["project_id"] is None  # no Cron Jobs project exists; listing never creates one
    assert EMPTY not in rows


def test_rounds_over_the_stitched_chain(real_small: AgentHome) -> None:
    """S3.22: rounds count across segments; since= drops earlier messages."""
    total = count_conversation_rounds(real_small.db, CHAIN[2])
    own = [m for m in agent_messages(real_small.db, CHAIN[2])]
    users = [m for m in own if m["role"] == "user"]
    assert 1 <= total <= len(users)
    late = own[-1]["timestamp"]
    assert count_conversation_rounds(real_small.db, CHAIN[2], since=late) == 0
    assert count_conversation_rounds(real_small.db, "no_such_session") == 0
