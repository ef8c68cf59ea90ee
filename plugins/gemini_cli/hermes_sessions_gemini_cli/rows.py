"""Sidebar rows for Gemini CLI chats: every S1.12 key plus this source's extras.

A row is built fresh from a cached :class:`~.summary.ChatSummary` on every call, so no two
callers share a mutable dict. Tokens follow :func:`~.summary.add_usage`: ``input_tokens`` are
prompt tokens not read from Gemini's cache, ``cache_read_input_tokens`` the cached ones,
``reasoning_tokens`` the thoughts; ``estimated_cost`` stays None (Gemini records no cost).
"""

from __future__ import annotations

import shlex
from typing import Any, Sequence

from hermes_sessions_core.read_only_rows import external_source_fields, read_only_row
from hermes_sessions_core.usage import USAGE_KEY

from .discovery import SubagentFile
from .ids import session_id_for
from .settings import SOURCE_LABEL, SOURCE_NAME
from .summary import ChatSummary

__all__ = ["SOURCE_FIELDS", "resume_command", "row_from_summary"]

SOURCE_FIELDS: dict[str, Any] = external_source_fields(SOURCE_NAME, SOURCE_LABEL)


def resume_command(native_id: str) -> str:
    """What to run in the session's project folder to continue it: Gemini CLI keeps chats
    per project, so ``--resume <sessionId>`` finds it only there (``resume_cwd``)."""
    return f"gemini --resume {shlex.quote(native_id)}"


def row_from_summary(
    summary: ChatSummary, workspace: str | None, project: str,
    subagents: Sequence[SubagentFile] = (),
) -> dict[str, Any]:
    """A new row dict for one main chat."""
    records = summary.usage_records()
    given = sum(record["input_tokens"] for record in records)
    output = sum(record["output_tokens"] for record in records)
    cached = sum(record["cache_read_tokens"] for record in records)
    reasoning = sum(record["reasoning_tokens"] for record in records)
    row: dict[str, Any] = {
        **read_only_row(
            SOURCE_FIELDS,
            session_id=session_id_for(summary.native_id),
            title=summary.title,
            workspace=workspace,
            model=summary.model,
            created_at=summary.first_at,
            input_tokens=given,
            output_tokens=output,
            message_count=summary.message_count,
            last_at=summary.last_at,
            user_message_count=summary.user_message_count,
        ),
        # Gemini CLI extras
        "external_session_id": summary.native_id,
        "resume_command": resume_command(summary.native_id),
        "resume_cwd": workspace,
        "project": project,
        "project_hash": summary.project_hash or project,
        "models": list(summary.models),
        "cache_read_input_tokens": cached,
        "reasoning_tokens": reasoning,
        USAGE_KEY: records,
        "source_path": summary.path,
        "subagent_count": len(subagents),
        "subagents": [
            {"agent_id": agent.agent_id, "path": agent.path} for agent in subagents
        ],
    }
    if summary.bad_lines:
        row["bad_lines"] = summary.bad_lines  # lines that were not JSON objects, skipped
    if summary.rewinds:
        row["rewinds"] = summary.rewinds
    if summary.truncated:
        row["truncated"] = True
    if summary.estimated:
        row["stats_estimated"] = True
    return row
