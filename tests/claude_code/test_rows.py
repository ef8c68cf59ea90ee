"""Row contents from the real fixtures: titles (S4.4, S4.5), workspace and times (S4.6),
fields (S4.7) and tokens (S4.14)."""

from __future__ import annotations

import json
from pathlib import Path

from hermes_sessions_claude_code import list_claude_code_rows

from hermes_sessions_core.models import METADATA_FIELDS
from hermes_sessions_core.times import to_epoch

from .conftest import COMPACTION, FLAT_AGENTS, IMAGES, SHORT, row_for


def _rows(projects: Path, cache, **settings):
    return list_claude_code_rows([projects], cache=cache, **settings)


def test_title_from_own_summary_wherever_it_sits(projects: Path, cache) -> None:
    """S4.4 (3): an in-file summary names the session, at the end or in the middle."""
    listing = _rows(projects, cache)
    assert row_for(listing, "0ccf1a04")["title"] == "Spawn curry poem agents, write sushi"
    assert row_for(listing, "47bf5f5c")["title"] == "Friendly Robot Icon Identification"


def test_foreign_summary_is_ignored(projects: Path, cache) -> None:
    """S4.4, S8.23: a summary whose leafUuid is not in the file describes another session."""
    path = projects / FLAT_AGENTS
    foreign = json.dumps({"type": "summary", "summary": "Someone else's work", "leafUuid": "0000"})
    path.write_bytes(foreign.encode() + b"\n" + path.read_bytes())
    assert row_for(_rows(projects, cache), "4c2ddfdc")["title"] == "create hello.py, md and js"


def test_title_skips_caveat_and_command_markup(projects: Path, cache) -> None:
    """S4.5, S8.23: the isMeta caveat, /clear markup and empty stdout are not prompts."""
    row = row_for(_rows(projects, cache), "624a4a58")
    assert row["title"].startswith("@src/providers/plugins/sso/ARCHITECTURE-REFACTORING.md review")
    assert len(row["title"]) == 80


def test_fallback_title_without_any_typed_prompt(projects: Path, cache) -> None:
    """S4.4 (6): the 1.0.x file opens with a slash command and has no typed prompt or slug."""
    assert row_for(_rows(projects, cache), "5c0375b4")["title"] == "Claude Code Session"


def test_custom_then_ai_title_win(projects: Path, cache) -> None:
    """S4.4 (1, 2): the last custom-title, else the last ai-title, beat summaries and prompts."""
    path = projects / IMAGES
    extra = [
        {"type": "ai-title", "aiTitle": "An   AI\ntitle", "sessionId": "x"},
        {"type": "custom-title", "customTitle": "First name", "sessionId": "x"},
        {"type": "custom-title", "customTitle": "Renamed " + "y" * 100, "sessionId": "x"},
    ]
    with path.open("ab") as handle:
        handle.write(b"\n" + json.dumps(extra[0]).encode() + b"\n")
    assert row_for(_rows(projects, cache), "47bf5f5c")["title"] == "An AI title"
    with path.open("ab") as handle:
        for record in extra[1:]:
            handle.write(json.dumps(record).encode() + b"\n")
    title = row_for(_rows(projects, cache), "47bf5f5c")["title"]
    assert title.startswith("Renamed yyy") and len(title) == 80


def test_slug_before_fallback(projects: Path, cache) -> None:
    """S4.4 (5): a file without prompts but with a slug is titled by the slug."""
    path = projects / "-tmp-private" / "slugged.jsonl"
    lines = [
        {"type": "user", "message": {"role": "user", "content": "<command-name>/init</command-name>"},
         "slug": "wiggly-hugging-lynx", "uuid": "u1", "timestamp": "2026-01-01T00:00:00Z"},
        {"type": "assistant", "message": {"id": "m1", "role": "assistant", "model": "m",
         "content": [{"type": "text", "text": "ok"}]}, "uuid": "u2"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert row_for(_rows(projects, cache), "slugged")["title"] == "wiggly-hugging-lynx"


def test_workspace_branch_and_times_come_from_records(projects: Path, cache) -> None:
    """S4.6, S8.25: cwd from the records (never the Web UI's), gitBranch, first and last times."""
    row = row_for(_rows(projects, cache), "55604662")
    assert row["workspace"] == "/home/marco/projects/spotter"
    assert row["resume_cwd"] == "/home/marco/projects/spotter"
    assert row["git_branch"] == "master"
    assert row["created_at"] == to_epoch("2026-02-10T21:11:52.438Z")
    assert row["updated_at"] == row["last_message_at"] == to_epoch("2026-02-10T21:16:12.381Z")


def test_times_fall_back_to_mtime(projects: Path, cache) -> None:
    """S4.6: without record times the file's mtime is used."""
    path = projects / "-tmp-private" / "untimed.jsonl"
    path.write_text(json.dumps({"type": "user", "message": {"role": "user", "content": "hi"}}) + "\n")
    import os

    os.utime(path, (1_700_000_000, 1_700_000_000))
    row = row_for(_rows(projects, cache), "untimed")
    assert row["created_at"] == row["updated_at"] == 1_700_000_000.0
    assert row["workspace"] is None


def test_row_fields(projects: Path, cache) -> None:
    """S4.7, S1.12: source fields, read-only, no profile, resume command, every row key."""
    row = row_for(_rows(projects, cache), "4c2ddfdc")
    assert row["model"] == "claude-sonnet-4-5-20250929"
    assert (row["pinned"], row["archived"], row["project_id"], row["profile"]) == (False, False, None, None)
    assert (row["source_tag"], row["raw_source"]) == ("claude_code", "claude_code")
    assert row["session_source"] == "external_agent" and row["source_label"] == "Claude Code"
    assert row["is_cli_session"] is True and row["read_only"] is True
    assert row["resume_command"] == "claude --resume 4c2ddfdc-b619-4525-8d03-1950fb1b0257"
    assert row["message_count"] == 16 and row["user_message_count"] == 3
    required = set(METADATA_FIELDS) - {
        "pending_attachments", "pending_started_at", "llm_title_generated", "parent_session_id",
        "worktree_path", "worktree_branch", "worktree_repo_root", "worktree_created_at",
    }
    assert required <= set(row)
    assert {"last_message_at", "user_message_count", "has_pending_user_message", "is_streaming"} <= set(row)
    assert "parent_session_id" not in row and "worktree_path" not in row


def test_model_is_last_real_assistant_model(projects: Path, cache) -> None:
    """S4.7: the last non-<synthetic> model; Haiku answered last in the images file."""
    listing = _rows(projects, cache)
    assert row_for(listing, "47bf5f5c")["model"] == "claude-haiku-4-5-20251001"
    path = projects / SHORT
    synthetic = {"type": "assistant", "message": {"id": "s", "model": "<synthetic>", "role": "assistant",
                 "content": [{"type": "text", "text": "No response requested."}],
                 "usage": {"input_tokens": 99, "output_tokens": 99}}}
    with path.open("ab") as handle:
        handle.write(json.dumps(synthetic).encode() + b"\n")
    row = row_for(_rows(projects, cache), "55604662")
    assert row["model"] == "claude-opus-4-6"
    assert row["input_tokens"] == 3


def test_tokens_count_once_per_response(projects: Path, cache) -> None:
    """S4.14: one reply split over 5 lines repeats usage; it counts once, from the last line."""
    row = row_for(_rows(projects, cache), "55604662")
    assert (row["input_tokens"], row["output_tokens"]) == (3, 13)
    assert row["cache_creation_input_tokens"] == 13835
    assert row["cache_read_input_tokens"] == 11515


def test_tokens_use_the_final_output_count(projects: Path, cache) -> None:
    """S4.14: early split lines hold a partial output_tokens (8); the last line's 1703 counts."""
    lines = (projects / COMPACTION).read_bytes().split(b"\n")[6:12]
    part = projects / "-Users-user-repo" / "split.jsonl"
    part.write_bytes(b"\n".join(lines) + b"\n")
    row = row_for(_rows(projects, cache), "split")
    assert row["output_tokens"] == 1703
    assert row["input_tokens"] == 10


def test_large_files_are_summarised_from_head_and_tail(projects: Path, cache) -> None:
    """S4.16, S4.18: above the full-scan size the row is built from windows and says so;
    the facts that come from the head and tail stay exact. (A tiny count budget keeps the
    exact tally from completing in this listing.)"""
    listing = _rows(projects, cache, count_scan_bytes=1)
    row = row_for(listing, "624a4a58")
    assert row["stats_estimated"] is True
    assert row["workspace"] == "/Users/user/repo" and row["git_branch"] == "conversations"
    assert row["model"] == "claude-sonnet-4-5-20250929"
    assert row["created_at"] == to_epoch("2026-01-07T20:23:23.678Z")
    assert row["message_count"] > 0 and row["input_tokens"] > 0
    exact = row_for(_rows(projects, type(cache)(), row_full_scan_bytes=10**9), "624a4a58")
    assert "stats_estimated" not in exact
    assert exact["message_count"] == 122 and exact["user_message_count"] == 15
    assert exact["title"] == row["title"] and exact["updated_at"] == row["updated_at"]
