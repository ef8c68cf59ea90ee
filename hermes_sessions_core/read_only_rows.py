"""The sidebar row of a session another program keeps (S1.12, S4.7): every key the Web UI
reads, with the values a read-only session of another agent has.

Each agent's source gives what it knows (id, title, folder, model, times, counts, tokens) and
adds its own extras to the dict this returns; the fixed keys (no pinning, no stream, no
routing, read-only, the source fields) are written here once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["external_source_fields", "read_only_row"]


def external_source_fields(name: str, label: str) -> dict[str, Any]:
    """The fields that say where a row came from (S4.7), for rows, sessions and imports."""
    return {
        "source_tag": name,
        "raw_source": name,
        "session_source": "external_agent",
        "source_label": label,
        "is_cli_session": True,
        "read_only": True,
    }


def read_only_row(
    source_fields: dict[str, Any],
    *,
    session_id: str,
    title: str,
    workspace: str | None,
    model: str | None,
    created_at: float | None,
    last_at: float | None,
    message_count: int,
    user_message_count: int,
    input_tokens: int = 0,
    output_tokens: int = 0,
    estimated_cost: float | None = None,
    model_provider: str | None = None,
    updated_at: float | None = None,
    archived: bool = False,
) -> dict[str, Any]:
    """A new row dict with every S1.12 key, in the Web UI's order; ``updated_at`` defaults to
    the last activity, and ``estimated_cost`` stays None unless the agent recorded one."""
    return {
        "session_id": session_id,
        "title": title,
        "workspace": workspace,
        "model": model,
        "model_provider": model_provider,
        "created_at": created_at,
        "updated_at": last_at if updated_at is None else updated_at,
        "pinned": False,
        "archived": archived,
        "project_id": None,
        "profile": None,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "estimated_cost": estimated_cost,
        "personality": None,
        "active_stream_id": None,
        "pending_user_message": None,
        "compression_anchor_visible_idx": None,
        "compression_anchor_message_key": None,
        "compression_anchor_summary": None,
        "context_length": None,
        "threshold_tokens": None,
        "last_prompt_tokens": None,
        "gateway_routing": None,
        "gateway_routing_history": [],
        **source_fields,
        "enabled_toolsets": None,
        "composer_draft": {},
        "message_count": message_count,
        "last_message_at": last_at,
        "user_message_count": user_message_count,
        "has_pending_user_message": False,
        "is_streaming": False,
    }
