"""Sidebar rows for Claude Code transcripts (S1.12, S4.7).

A row is built fresh from a cached :class:`FileSummary` on every call, so no two callers
share a mutable dict. Rows carry no profile: the aggregator shows them in every profile
(S6.8, #6690).
"""

from __future__ import annotations

from typing import Any, Sequence

from .discovery import SubagentFile
from .settings import SOURCE_LABEL, SOURCE_NAME
from .summary import FileSummary

__all__ = ["row_from_summary", "resume_command", "SOURCE_FIELDS"]

#: The fields that say where a row came from (S4.7), shared by rows, sessions and imports.
SOURCE_FIELDS: dict[str, Any] = {
    "source_tag": SOURCE_NAME,
    "raw_source": SOURCE_NAME,
    "session_source": "external_agent",
    "source_label": SOURCE_LABEL,
    "is_cli_session": True,
    "read_only": True,
}


def resume_command(external_session_id: str) -> str:
    """What to run in the session's working directory to continue it in Claude Code."""
    return f"claude --resume {external_session_id}"


def row_from_summary(
    summary: FileSummary, subagents: Sequence[SubagentFile] = ()
) -> dict[str, Any]:
    """A new row dict with every S1.12 key plus the Claude Code extras."""
    given, output, creation, read = summary.tokens
    row: dict[str, Any] = {
        "session_id": summary.session_id,
        "title": summary.title,
        "workspace": summary.cwd,
        "model": summary.model,
        "model_provider": None,
        "created_at": summary.first_at,
        "updated_at": summary.last_at,
        "pinned": False,
        "archived": False,
        "project_id": None,
        "profile": None,
        "input_tokens": given,
        "output_tokens": output,
        "estimated_cost": None,
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
        **SOURCE_FIELDS,
        "enabled_toolsets": None,
        "composer_draft": {},
        "message_count": summary.message_count,
        "last_message_at": summary.last_at,
        "user_message_count": summary.user_message_count,
        "has_pending_user_message": False,
        "is_streaming": False,
        # Claude Code extras
        "external_session_id": summary.external_session_id,
        "resume_command": resume_command(summary.external_session_id),
        "resume_cwd": summary.cwd,
        "git_branch": summary.git_branch,
        "cache_creation_input_tokens": creation,
        "cache_read_input_tokens": read,
        "source_path": summary.path,
        "subagent_count": len(subagents) + summary.inline_subagents,
        "subagents": [
            {"agent_id": agent.agent_id, "layout": agent.layout, "path": agent.path}
            for agent in subagents
        ],
    }
    if summary.inline_subagents:
        row["inline_subagent_count"] = summary.inline_subagents
    if summary.truncated:
        row["truncated"] = True
    if summary.estimated:
        row["stats_estimated"] = True
    return row
