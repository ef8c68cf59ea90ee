"""Sidebar rows for Codex threads (S1.12, S4.7 by analogy), built fresh on every call."""

from __future__ import annotations

from typing import Any, Sequence

from hermes_sessions_core.read_only_rows import external_source_fields, read_only_row
from hermes_sessions_core.usage import USAGE_KEY, add_usage_records

from .ids import session_id_for
from .settings import SOURCE_LABEL, SOURCE_NAME
from .summary import RolloutSummary

__all__ = ["row_from_summary", "resume_command", "SOURCE_FIELDS", "subagent_entry"]

SOURCE_FIELDS: dict[str, Any] = external_source_fields(SOURCE_NAME, SOURCE_LABEL)
#: Sub-agents listed on a parent row at most (their count is exact).
MAX_SUBAGENTS_SHOWN = 100


def resume_command(thread_id: str) -> str:
    """What to run in the session's working directory to continue it in Codex."""
    return f"codex resume {thread_id}"


def subagent_entry(child: RolloutSummary) -> dict[str, Any]:
    return {
        "session_id": session_id_for(child.thread_id),
        "thread_id": child.thread_id,
        "agent_nickname": child.meta.agent_nickname,
        "agent_role": child.meta.agent_role,
        "title": child.title,
        "path": child.path,
    }


def row_from_summary(
    summary: RolloutSummary, subagents: Sequence[RolloutSummary] = ()
) -> dict[str, Any]:
    """A new row dict with every S1.12 key plus the Codex extras."""
    meta = summary.meta
    totals = dict(summary.totals)
    row: dict[str, Any] = {
        **read_only_row(
            SOURCE_FIELDS,
            session_id=session_id_for(summary.thread_id),
            title=summary.title,
            workspace=meta.cwd,
            model=summary.model,
            model_provider=meta.model_provider,
            created_at=summary.first_at,
            archived=summary.archived,
            input_tokens=totals.get("input_tokens", 0),
            output_tokens=totals.get("output_tokens", 0),
            message_count=summary.message_count,
            last_at=summary.last_at,
            user_message_count=summary.user_message_count,
        ),
        # Codex extras
        "external_session_id": summary.thread_id,
        "codex_thread_id": summary.thread_id,
        "resume_command": resume_command(summary.thread_id),
        "resume_cwd": meta.cwd,
        "git_branch": meta.git_branch,
        "git_commit": meta.git_commit,
        "git_repository": meta.git_repository,
        "cli_version": meta.cli_version,
        "originator": meta.originator,
        "codex_source": meta.source,
        "cache_read_input_tokens": totals.get("cache_read_input_tokens", 0),
        "reasoning_tokens": totals.get("reasoning_tokens", 0),
        USAGE_KEY: summary.usage_records(),
        "source_path": summary.path,
        "subagent_count": len(subagents),
        "subagents": [subagent_entry(child) for child in subagents[:MAX_SUBAGENTS_SHOWN]],
    }
    parent = meta.parent_thread_id or meta.forked_from_id
    if parent is not None and parent != summary.thread_id:
        row["parent_session_id"] = session_id_for(parent)
    if meta.forked_from_id is not None:
        row["forked_from_thread_id"] = meta.forked_from_id
    if summary.copied_requests:
        # copied with the source thread's records: counted there, not in this row's usage
        row["copied_requests"] = summary.copied_requests
    if meta.is_subagent:
        row["is_subagent"] = True
        row["agent_nickname"] = meta.agent_nickname
        row["agent_role"] = meta.agent_role
    if summary.truncated:
        row["truncated"] = True
    if summary.estimated:
        row["stats_estimated"] = True
    # What sub-agents spent for this thread: they are never rows, so their usage is counted
    # here (the row's own token totals stay the thread's own).
    add_usage_records(row, (record for child in subagents for record in child.usage_records()))
    return row
