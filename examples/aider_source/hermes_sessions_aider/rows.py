"""A session summary as a sidebar row and as a read-only Session."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from hermes_sessions_core.models import Session

from .settings import HISTORY_FILE_NAME, SOURCE_NAME
from .summary import SessionSummary

__all__ = ["row_fields", "resume_command", "to_session"]


def resume_command(history_file: Path) -> str:
    """The command that reopens the chat in Aider, run in the project folder (``resume_cwd``).

    Aider restores the whole history file, not one session of it: the nearest it offers."""
    if history_file.name == HISTORY_FILE_NAME:
        return "aider --restore-chat-history"
    return f"aider --chat-history-file {shlex.quote(str(history_file))} --restore-chat-history"


def row_fields(session_id: str, history_file: Path, summary: SessionSummary) -> dict[str, Any]:
    """A fresh row dict (S1.12). Aider records only when a session started, so that one time
    is its creation and its last activity."""
    started = summary.started_at
    usage = summary.usage
    return {
        "session_id": session_id,
        "title": summary.title or "Aider session",
        "workspace": str(history_file.parent),
        "model": summary.model,
        "message_count": summary.message_count,
        "created_at": started,
        "updated_at": started,
        "last_message_at": started,
        "pinned": False,
        "archived": False,
        "project_id": None,
        "profile": None,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "estimated_cost": usage.cost,  # only what Aider printed; None when it printed none
        "user_message_count": summary.user_message_count,
        "active_stream_id": None,
        "pending_user_message": None,
        "has_pending_user_message": False,
        "is_cli_session": False,
        "source_tag": SOURCE_NAME,
        "raw_source": SOURCE_NAME,
        "session_source": "external_agent",
        "source_label": "Aider",
        "read_only": True,
        "composer_draft": {},
        "is_streaming": False,
        "resume_command": resume_command(history_file),
        "resume_cwd": str(history_file.parent),
        "aider_history_file": str(history_file),
        "aider_version": summary.aider_version,
    }


def to_session(
    session_id: str, history_file: Path, summary: SessionSummary,
    messages: list[dict[str, Any]] | None, default_workspace: str,
) -> Session:
    """A read-only Session; ``messages=None`` gives a partial, metadata-only object (S2.15)."""
    record = row_fields(session_id, history_file, summary)
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
            last_message_at=summary.started_at,
        )
    return session
