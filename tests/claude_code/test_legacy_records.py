"""Legacy transcripts: records without ``type``, as the original Web UI accepted them (S4.2,
S4.4, S4.7-S4.9, S4.14, S4.16). Files are written here with ``json.dumps`` defaults, as the
Web UI's own tests write them; the real-format fixtures check that S4.4 is unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hermes_sessions_claude_code import (
    SummaryCache,
    claude_code_messages,
    claude_code_session_id,
    list_claude_code_rows,
)
from hermes_sessions_claude_code.counts import advance_counts
from hermes_sessions_claude_code.discovery import transcript_file_at
from hermes_sessions_claude_code.parse import parse_transcript
from hermes_sessions_claude_code.settings import ClaudeCodeSettings

from .conftest import SHORT, row_for

QUESTION = "Can Hermes show this Claude Code history read-only?"
ANSWER = "Yes — it appears with a Claude Code source badge."
HOST_EXAMPLE = [
    {"summary": "Claude Code import QA"},
    {"timestamp": "2026-04-18T12:00:01Z",
     "message": {"role": "user", "content": [{"type": "text", "text": QUESTION}]}},
    {"timestamp": "2026-04-18T12:00:02Z", "message": {"role": "assistant", "content": ANSWER}},
    "not a dict",
    {"not_json_message": True},
]


def _write(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    return path


def _rows(root: Path, **settings):
    return list_claude_code_rows([root], cache=SummaryCache(), **settings)


def _messages(path: Path, root: Path) -> list[dict]:
    return claude_code_messages(claude_code_session_id(path), [root], cache=SummaryCache())


def test_legacy_file_is_a_read_only_row(tmp_path: Path) -> None:
    """S4.4 (3), S4.6, S4.7: a file of untyped records is one session, titled by its untyped
    summary line (it has no uuids), with the default model, the source fields, and times
    from its records; non-object and unknown lines are skipped (S4.19)."""
    root = tmp_path / "projects"
    _write(root / "project-a" / "session.jsonl", HOST_EXAMPLE)
    listing = _rows(root)
    assert len(listing.rows) == 1 and not listing.problems
    row = listing.rows[0]
    assert row["session_id"].startswith("claude_code_")
    assert (row["title"], row["model"], row["message_count"], row["user_message_count"]) == (
        "Claude Code import QA", "claude-code", 2, 1
    )
    assert (row["created_at"], row["updated_at"]) == (1776513601.0, 1776513602.0)
    assert row["workspace"] is None and row["external_session_id"] == "session"
    assert {name: row[name] for name in (
        "source_tag", "raw_source", "session_source", "source_label", "is_cli_session", "read_only"
    )} == {
        "source_tag": "claude_code", "raw_source": "claude_code", "session_source": "external_agent",
        "source_label": "Claude Code", "is_cli_session": True, "read_only": True,
    }
    assert "stats_estimated" not in row


def test_legacy_transcript_has_only_role_content_and_time(tmp_path: Path) -> None:
    """S4.8, S4.9, S4.13: text blocks and plain strings become messages with exactly the keys
    a real-format text message has (role, content, timestamp as epoch seconds)."""
    root = tmp_path / "projects"
    path = _write(root / "project-a" / "session.jsonl", HOST_EXAMPLE)
    assert _messages(path, root) == [
        {"role": "user", "content": QUESTION, "timestamp": 1776513601.0},
        {"role": "assistant", "content": ANSWER, "timestamp": 1776513602.0},
    ]


def test_single_legacy_prompt_is_listed_beside_junk_and_never_through_symlinks(tmp_path: Path) -> None:
    """S4.2, S4.4 (4), S4.16: one untyped prompt makes a session titled by it; a file of junk
    larger than max_file_bytes is no session (it holds no conversation, it is not skipped for
    size); symlinked project folders and roots are never followed."""
    root = tmp_path / "claude" / "projects"
    _write(root / "project-a" / "valid.jsonl", [{"message": {"role": "user", "content": "valid import"}}])
    (root / "project-a" / "oversized.jsonl").write_text("x" * 1024, encoding="utf-8")
    outside = tmp_path / "outside"
    _write(outside / "leaked.jsonl", [{"message": {"role": "user", "content": "do not import"}}])
    (root / "symlink-project").symlink_to(outside, target_is_directory=True)
    root_link = tmp_path / "root-link"
    root_link.symlink_to(root, target_is_directory=True)

    assert [row["title"] for row in _rows(root, max_file_bytes=512).rows] == ["valid import"]
    assert _rows(root_link).rows == ()


def test_messages_lists_bare_messages_and_roles(tmp_path: Path) -> None:
    """S4.8: a top-level ``messages`` list and bare ``{"role", "content"}`` lines hold messages;
    ``human`` counts as ``user``; other roles, empty content and harness output are not shown;
    a line's time (or ``created_at``) applies to the messages it holds."""
    root = tmp_path / "projects"
    path = _write(root / "p" / "s.jsonl", [
        {"timestamp": 1776513600, "messages": [
            {"role": "human", "content": "hello"},
            {"message": {"role": "assistant", "content": [{"type": "text", "text": "hi there"}]}},
            {"role": "system", "content": "a system prompt"},
            {"role": "tool", "content": "tool output"},
            {"role": "user", "content": "   "},
            "not a message",
        ]},
        {"role": "user", "content": "<local-command-stdout>ok</local-command-stdout>"},
        {"role": "User", "content": {"type": "text", "text": "one block"}, "created_at": "1776513700"},
    ])
    assert _messages(path, root) == [
        {"role": "user", "content": "hello", "timestamp": 1776513600.0},
        {"role": "assistant", "content": "hi there", "timestamp": 1776513600.0},
        {"role": "user", "content": "one block", "timestamp": 1776513700.0},
    ]
    row = _rows(root).rows[0]
    assert (row["title"], row["message_count"], row["user_message_count"]) == ("hello", 3, 2)


def test_untyped_title_lines(tmp_path: Path) -> None:
    """S4.4 (3): in a file without uuids the first untyped ``summary`` or ``title`` line is
    the title, whitespace collapsed and cut to 80 characters; without one, the first prompt."""
    root = tmp_path / "projects"
    prompt = {"message": {"role": "user", "content": "the first prompt"}}
    _write(root / "p" / "titled.jsonl", [prompt, {"title": "  Named\n  " + "x" * 100}, {"summary": "Later"}])
    _write(root / "p" / "untitled.jsonl", [prompt])
    titles = {row["external_session_id"]: row["title"] for row in _rows(root).rows}
    assert titles == {"titled": ("Named " + "x" * 100)[:80], "untitled": "the first prompt"}


def test_untyped_summary_never_titles_a_real_transcript(projects: Path) -> None:
    """S4.4 (3), S8.23: a real transcript has uuids, so an untyped summary line in it is
    ignored exactly like a foreign summary; the rule for real files is unchanged."""
    before = row_for(_rows(projects), "55604662")["title"]
    path = projects / SHORT
    path.write_bytes(json.dumps({"summary": "Someone else's work"}).encode() + b"\n" + path.read_bytes())
    assert row_for(_rows(projects), "55604662")["title"] == before != "Someone else's work"


def test_legacy_file_without_messages_is_not_a_session(tmp_path: Path) -> None:
    """S4.2: a legacy file with only title lines, non-conversation roles or empty content
    holds no conversation and is not listed."""
    root = tmp_path / "projects"
    _write(root / "p" / "s.jsonl", [
        {"summary": "only a title"},
        {"role": "system", "content": "setup"},
        {"message": {"role": "user", "content": ""}},
        {"message": {"role": "assistant"}},
    ])
    assert _rows(root).rows == ()


def _large_legacy(root: Path, turns: int) -> Path:
    records: list = [{"summary": "A long legacy chat"}]
    for turn in range(turns):
        stamp = 1776513600 + 2 * turn
        records.append({"timestamp": stamp, "message": {"role": "user", "content": f"question {turn}"}})
        records.append({"timestamp": stamp + 1, "message": {"role": "assistant", "content": f"answer {turn}"}})
    return _write(root / "p" / "long.jsonl", records)


def test_large_legacy_file_is_parsed_whole_not_estimated(tmp_path: Path) -> None:
    """S4.16, S4.18: the window scan's byte shapes are Claude Code's; a legacy file above
    row_full_scan_bytes is parsed instead, so its row is exact at once and equals the whole
    parse, even in windows far smaller than the file."""
    root = tmp_path / "projects"
    path = _large_legacy(root, 2000)
    windowed = _rows(root, row_full_scan_bytes=1, count_scan_bytes=1, head_bytes=1024, row_tail_bytes=1024)
    whole = _rows(root, row_full_scan_bytes=10**9)
    assert path.stat().st_size > 64 * 1024
    assert [row.to_dict() for row in windowed.rows] == [row.to_dict() for row in whole.rows]
    row = windowed.rows[0]
    assert "stats_estimated" not in row
    assert (row["title"], row["message_count"], row["user_message_count"]) == ("A long legacy chat", 4000, 2000)
    assert (row["created_at"], row["updated_at"]) == (1776513600.0, 1776513600.0 + 3999)


def test_running_count_matches_the_transcript_on_legacy_files(tmp_path: Path) -> None:
    """S4.14, S4.17: the exact running count reads legacy records as the transcript does,
    also when resumed at every line boundary."""
    root = tmp_path / "projects"
    _write(root / "p" / "host.jsonl", HOST_EXAMPLE)
    _large_legacy(root, 30)
    for path in sorted((root / "p").glob("*.jsonl")):
        summary = parse_transcript(transcript_file_at(str(path)), ClaudeCodeSettings()).summary
        expected = (summary.message_count, summary.user_message_count, summary.tokens)
        stat = os.stat(path)
        state, _read = advance_counts(str(path), stat.st_ino, stat.st_size, None, 0)
        assert (state.message_count, state.user_message_count, state.tokens) == expected
        stepped = None
        for _ in range(1000):
            stepped, _read = advance_counts(str(path), stat.st_ino, stat.st_size, stepped, 1)
            if stepped.size is not None:
                break
        assert (stepped.message_count, stepped.user_message_count, stepped.tokens) == expected
        assert expected[0] > 0
