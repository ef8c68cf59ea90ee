"""Sidebar rows for OpenCode sessions (S1.12), built fresh from a cached summary every call.

Rows carry every key the sidebar needs plus OpenCode's own: the native id, the resume
command (``opencode --session <id>``, run in the session's directory), recorded usage and
cost, the subagent sessions it started, and whether it is archived or partly undone.
``estimated_cost`` and the token totals are the session's own; ``usage`` (what
``hermes-sessions usage`` sums) adds its subagents', which are never rows of their own.
"""

from __future__ import annotations

from typing import Any, Sequence

from hermes_sessions_core.read_only_rows import external_source_fields, read_only_row

from .settings import SOURCE_LABEL, SOURCE_NAME
from .summary import SessionSummary

__all__ = ["SOURCE_FIELDS", "merged_usage", "resume_command", "row_from_summary"]

#: The fields that say where a row came from, shared by rows and sessions.
SOURCE_FIELDS: dict[str, Any] = external_source_fields(SOURCE_NAME, SOURCE_LABEL)


def resume_command(native_id: str) -> str:
    """What to run in the session's directory to continue it in OpenCode's TUI."""
    return f"opencode --session {native_id}"


def merged_usage(summaries: Sequence[SessionSummary]) -> list[dict[str, Any]]:
    """The usage records of several sessions as one list, one record per (day, model): a
    session's row carries its subagents' usage too, since they are not rows of their own and
    their tokens were spent for it."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for summary in summaries:
        for record in summary.usage:
            key = (record.get("day") or "", record.get("model") or "")
            into = merged.get(key)
            if into is None:
                merged[key] = dict(record)
                continue
            for name, value in record.items():
                if name == "cost":
                    if value is not None:
                        into["cost"] = (into.get("cost") or 0.0) + value
                elif type(value) is int:  # token counts and message tallies add up
                    into[name] = into.get(name, 0) + value
    return [merged[key] for key in sorted(merged)]


def row_from_summary(
    summary: SessionSummary, subagents: Sequence[SessionSummary] = (),
    parent_session_id: str | None = None,
) -> dict[str, Any]:
    """A new row dict with every S1.12 key plus the OpenCode extras."""
    record = summary.record
    row: dict[str, Any] = {
        **read_only_row(
            SOURCE_FIELDS,
            session_id=summary.session_id,
            title=summary.title,
            workspace=record.directory,
            model=summary.model,
            model_provider=summary.provider,
            created_at=summary.first_at,
            updated_at=record.updated_at or summary.last_at,
            archived=record.archived_at is not None,
            input_tokens=summary.input_tokens,
            output_tokens=summary.output_tokens,
            estimated_cost=summary.cost,
            message_count=summary.message_count,
            last_at=summary.last_at,
            user_message_count=summary.user_message_count,
        ),
        # OpenCode extras
        "external_session_id": record.native_id,
        "resume_command": resume_command(record.native_id),
        "resume_cwd": record.directory,
        "opencode_project_id": record.project_id,
        "opencode_version": record.version,
        "opencode_storage": record.storage,
        "agent": summary.agent,
        "source_path": record.path,
        "cache_read_input_tokens": summary.cache_read_tokens,
        "cache_creation_input_tokens": summary.cache_write_tokens,
        "reasoning_tokens": summary.reasoning_tokens,
        "usage": merged_usage([summary, *subagents]),
        "subagent_count": len(subagents),
        "subagents": [
            {"session_id": child.session_id, "external_session_id": child.record.native_id,
             "title": child.title, "agent": child.agent, "message_count": child.message_count,
             "estimated_cost": child.cost}
            for child in subagents
        ],
    }
    if record.archived_at is not None:
        row["archived_at"] = record.archived_at
    child_costs = [child.cost for child in subagents if child.cost is not None]
    if child_costs:
        row["subagent_estimated_cost"] = sum(child_costs)
    if summary.undone_count:
        row["undone_message_count"] = summary.undone_count
    if parent_session_id is not None:
        row["parent_session_id"] = parent_session_id
    return row
