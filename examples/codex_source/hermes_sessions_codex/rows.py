"""A rollout summary as a sidebar row and as a read-only Session."""

from __future__ import annotations

from typing import Any

from hermes_sessions_core.models import Session

from .settings import SOURCE_NAME
from .summary import RolloutSummary

__all__ = ["row_fields", "resume_command", "to_session"]


def resume_command(thread_id: str) -> str:
    """The shell command that continues this conversation in Codex."""
    return f"codex resume {thread_id}"


def row_fields(session_id: str, thread_id: str, summary: RolloutSummary) -> dict[str, Any]:
    """A fresh row dict (S1.12) for one rollout; nothing in it is shared with the cache."""
    created = summary.created_at
    updated = summary.updated_at or created
    return {
        "session_id": session_id,
        "title": (summary.title or "Codex session")[:64],
        "workspace": summary.cwd,
        "model": summary.model,
        "model_provider": summary.model_provider,
        "message_count": summary.message_count,
        "created_at": created,
        "updated_at": updated,
        "last_message_at": summary.last_message_at or updated,
        "pinned": False,
        "archived": False,
        "project_id": None,
        "profile": None,
        "input_tokens": summary.input_tokens,
        "output_tokens": summary.output_tokens,
        "estimated_cost": None,
        "user_message_count": summary.user_message_count,
        "active_stream_id": None,
        "pending_user_message": None,
        "has_pending_user_message": False,
        "is_cli_session": False,
        "source_tag": SOURCE_NAME,
        "raw_source": SOURCE_NAME,
        "session_source": "external_agent",
        "source_label": "Codex",
        "read_only": True,
        "composer_draft": {},
        "is_streaming": False,
        "resume_command": resume_command(thread_id),
        "codex_thread_id": thread_id,
        "codex_cli_version": summary.cli_version,
        "codex_originator": summary.originator,
        "git_branch": summary.git_branch,
    }


def to_session(
    session_id: str, thread_id: str, summary: RolloutSummary,
    messages: list[dict[str, Any]] | None, default_workspace: str,
) -> Session:
    """A read-only Session; ``messages=None`` gives a partial, metadata-only object (S2.15)."""
    record = row_fields(session_id, thread_id, summary)
    for row_only in ("last_message_at", "user_message_count", "has_pending_user_message",
                     "is_streaming", "message_count"):
        record.pop(row_only)
    record["messages"] = messages if messages is not None else []
    session = Session.from_record(record, default_workspace=default_workspace)
    if messages is None:
        session.mark_partial(
            "metadata_only",
            message_count=summary.message_count,
            user_message_count=summary.user_message_count,
            last_message_at=summary.last_message_at,
        )
    return session
