"""Sidebar rows for Claude Code transcripts (S1.12, S4.7).

A row is built fresh from a cached :class:`FileSummary` on every call, so no two callers
share a mutable dict. Rows carry no profile: the aggregator shows them in every profile
(S6.8, #6690).
"""

from __future__ import annotations

from typing import Any, Sequence

from hermes_sessions_core.read_only_rows import external_source_fields, read_only_row
from hermes_sessions_core.usage import USAGE_KEY

from .discovery import SubagentFile
from .settings import SOURCE_LABEL, SOURCE_NAME
from .summary import FileSummary

__all__ = ["row_from_summary", "resume_command", "SOURCE_FIELDS"]

#: The fields that say where a row came from (S4.7), shared by rows, sessions and imports.
SOURCE_FIELDS: dict[str, Any] = external_source_fields(SOURCE_NAME, SOURCE_LABEL)


def resume_command(external_session_id: str) -> str:
    """What to run in the session's working directory to continue it in Claude Code."""
    return f"claude --resume {external_session_id}"


def row_from_summary(
    summary: FileSummary, subagents: Sequence[SubagentFile] = ()
) -> dict[str, Any]:
    """A new row dict with every S1.12 key plus the Claude Code extras."""
    given, output, creation, read = summary.tokens
    row: dict[str, Any] = {
        **read_only_row(
            SOURCE_FIELDS,
            session_id=summary.session_id,
            title=summary.title,
            workspace=summary.cwd,
            model=summary.model,
            created_at=summary.first_at,
            input_tokens=given,
            output_tokens=output,
            message_count=summary.message_count,
            last_at=summary.last_at,
            user_message_count=summary.user_message_count,
        ),
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
    if summary.usage:
        row[USAGE_KEY] = [dict(entry) for entry in summary.usage]
    if summary.inline_subagents:
        row["inline_subagent_count"] = summary.inline_subagents
    if summary.truncated:
        row["truncated"] = True
    if summary.estimated:
        row["stats_estimated"] = True
    return row
