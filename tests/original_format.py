"""Facts about the files today's Web UI writes, shared by the tests that write them by hand."""

from __future__ import annotations

#: Group 1 of a session file in the order the original's ``save()`` writes it (it had no
#: ``message_count``); ``messages`` and ``tool_calls`` follow.
ORIGINAL_METADATA_ORDER = (
    "session_id", "title", "workspace", "model", "model_provider", "created_at", "updated_at",
    "pinned", "archived", "project_id", "profile", "input_tokens", "output_tokens",
    "estimated_cost", "personality", "active_stream_id", "pending_user_message",
    "pending_attachments", "pending_started_at", "compression_anchor_visible_idx",
    "compression_anchor_message_key", "compression_anchor_summary", "context_length",
    "threshold_tokens", "last_prompt_tokens", "gateway_routing", "gateway_routing_history",
    "llm_title_generated", "parent_session_id", "worktree_path", "worktree_branch",
    "worktree_repo_root", "worktree_created_at", "is_cli_session", "source_tag", "raw_source",
    "session_source", "source_label", "read_only", "enabled_toolsets", "composer_draft",
)
