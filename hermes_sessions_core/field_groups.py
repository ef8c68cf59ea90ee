"""The named groups of session fields: what a session file holds, in which order (S1.4-S1.7).

Names only; how each field's value is read is :mod:`~hermes_sessions_core.session_fields`.
"""

from __future__ import annotations

__all__ = [
    "METADATA_FIELDS",
    "ROW_ONLY_FIELDS",
    "MESSAGING_IDENTITY_FIELDS",
    "WORKTREE_FIELDS",
    "FLAG_FIELDS",
    "NEVER_WRITTEN",
]

#: Group 1 of a session file, in order (S1.4). Always written, null when unset.
METADATA_FIELDS: tuple[str, ...] = (
    "session_id", "title", "workspace", "model", "model_provider", "created_at", "updated_at",
    "pinned", "archived", "project_id", "profile",
    "input_tokens", "output_tokens", "estimated_cost",
    "personality", "active_stream_id",
    "pending_user_message", "pending_attachments", "pending_started_at",
    "compression_anchor_visible_idx", "compression_anchor_message_key",
    "compression_anchor_summary",
    "context_length", "threshold_tokens", "last_prompt_tokens",
    "gateway_routing", "gateway_routing_history", "llm_title_generated",
    "parent_session_id",
    "worktree_path", "worktree_branch", "worktree_repo_root", "worktree_created_at",
    "is_cli_session", "source_tag", "raw_source", "session_source", "source_label", "read_only",
    "enabled_toolsets", "composer_draft", "message_count",
)

#: Computed for rows, never written into a session file (S1.5).
ROW_ONLY_FIELDS: frozenset[str] = frozenset(
    {"is_streaming", "last_message_at", "user_message_count", "has_pending_user_message"}
)
#: Kept fields (group 3) that rows carry too: who a messaging-platform session is with.
MESSAGING_IDENTITY_FIELDS: tuple[str, ...] = (
    "user_id", "chat_id", "chat_type", "thread_id", "session_key", "platform",
)
#: Written into rows only when ``worktree_path`` is set.
WORKTREE_FIELDS: tuple[str, ...] = (
    "worktree_path", "worktree_branch", "worktree_repo_root", "worktree_created_at",
)
#: The flags of group 1 (S1.8): booleans in memory, in rows and in files.
FLAG_FIELDS: tuple[str, ...] = (
    "pinned", "archived", "llm_title_generated", "is_cli_session", "read_only",
)
#: Never written into group 3: row-only facts, and the transcript written in group 2.
NEVER_WRITTEN: frozenset[str] = ROW_ONLY_FIELDS | frozenset({"messages", "tool_calls"})
