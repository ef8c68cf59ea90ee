"""Aider chat histories as sessions: ids, titles, counts, usage, transcripts, where files are
found, and the cache."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import hermes_sessions_aider
import pytest
from hermes_sessions_aider.history import entries_of
from hermes_sessions_aider.ids import is_session_id
from hermes_sessions_aider.summary import cached_history, forget_histories

from hermes_sessions_core import ListRequest, Locations, SourceContext

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
FIRST = "aider_weather-cli_20250314-091205"
NOTES = "aider_notes-app_20250402-080544"


@pytest.fixture
def projects(tmp_path: Path) -> Path:
    copy = tmp_path / "projects"
    shutil.copytree(PROJECTS, copy)
    forget_histories()
    return copy


def context_for(tmp_path: Path, settings: dict | None = None,
                environ: dict[str, str] | None = None) -> SourceContext:
    locations = Locations.from_environment(
        base_home=tmp_path / "h", state_dir=tmp_path / "w", environ=environ or {},
        default_workspace=tmp_path / "ws",
    )
    return SourceContext(locations, {"aider": settings} if settings else {})


def rows_of(context: SourceContext) -> dict[str, dict]:
    listing = hermes_sessions_aider.hermes_sessions_list_rows(context, ListRequest("default"))
    assert listing.problems == ()
    return {row.session_id: row.to_dict() for row in listing.rows}


def test_each_started_line_is_one_session_with_its_own_row(projects: Path, tmp_path: Path) -> None:
    """Two files, three sessions: titles are the first typed prompt (not `/add`), times are the
    local start times, the model comes from the startup banner, newest first."""
    rows = rows_of(context_for(tmp_path, {"roots": [str(projects)]}))
    assert list(rows) == [NOTES, "aider_weather-cli_20250315-164031", FIRST]
    row = rows[FIRST]
    assert row["title"] == "add a --units flag that accepts metric or imperial, default metric"
    assert row["created_at"] == datetime(2025, 3, 14, 9, 12, 5).timestamp()
    assert row["updated_at"] == row["created_at"]
    assert row["model"] == "anthropic/claude-3-7-sonnet-20250219"
    assert row["aider_version"] == "0.77.1"
    assert row["workspace"] == str(projects / "weather-cli")
    assert row["user_message_count"] == 5 and row["message_count"] == 13
    assert row["resume_command"] == "aider --restore-chat-history"
    assert row["resume_cwd"] == str(projects / "weather-cli")
    assert row["read_only"] is True and row["session_source"] == "external_agent"


def test_usage_is_what_aider_printed(projects: Path, tmp_path: Path) -> None:
    """Tokens summed over the session's reports (3.1k + 2.6k + 3.4k sent); the cost is the
    last `$… session` total; cache figures from the reports that have them."""
    rows = rows_of(context_for(tmp_path, {"roots": [str(projects)]}))
    first = rows[FIRST]
    assert (first["input_tokens"], first["output_tokens"]) == (9100, 473)
    assert first["estimated_cost"] == 0.04
    notes = rows[NOTES]  # Aider prints "Cost:" on its own line when a report has both caches
    assert (notes["input_tokens"], notes["output_tokens"]) == (10600, 329)
    assert (notes["cache_creation_input_tokens"], notes["cache_read_input_tokens"]) == (5300, 4100)
    assert notes["estimated_cost"] == 0.03


def test_transcript_keeps_prompts_answers_and_notes_apart(projects: Path, tmp_path: Path) -> None:
    """Multi-line prompts stay one message; Aider's notes are `tool` messages named aider; the
    startup banner is not a message; the listing's count is the transcript's."""
    context = context_for(tmp_path, {"roots": [str(projects)]})
    transcript = hermes_sessions_aider.hermes_sessions_read_messages(context, FIRST, None)
    assert transcript is not None and transcript.total_count == 13
    roles = [m["role"] for m in transcript.messages]
    assert roles[:4] == ["user", "tool", "user", "assistant"]
    users = [m["content"] for m in transcript.messages if m["role"] == "user"]
    assert users[4] == ("make format_report take units and convert to fahrenheit and mph for "
                        "imperial\n\nkeep the default output exactly as it is")
    notes = [m for m in transcript.messages if m["role"] == "tool"]
    assert all(m["name"] == "aider" for m in notes)
    assert notes[-1]["content"].endswith("Commit 9c03d55 feat: convert the report to imperial "
                                         "units on request")
    assert not any("Repo-map" in m["content"] for m in transcript.messages)


def test_lines_inside_code_fences_stay_answer_text() -> None:
    """An edited Markdown file in a fence may hold `#### ` and `> ` lines: they are not prompts
    or notes, and a longer fence is not closed by a shorter one."""
    text = (PROJECTS / "notes-app" / ".aider.chat.history.md").read_text()
    entries = entries_of(text.split("\n", 1)[1])
    assert [e.kind for e in entries][:4] == ["note", "prompt", "answer", "note"]
    assert "#### Commit messages\n\n> Say what changed" in entries[2].text
    assert entries[2].text.endswith("````")


def test_the_history_file_comes_from_settings_then_aiders_variable(
    projects: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """settings `files` or `roots` win; else $AIDER_CHAT_HISTORY_FILE (relative to the current
    folder, as Aider reads it); else the current folder's own history file."""
    history = projects / "notes-app" / ".aider.chat.history.md"
    named = {"AIDER_CHAT_HISTORY_FILE": "notes-app/.aider.chat.history.md"}
    monkeypatch.chdir(projects)
    assert list(rows_of(context_for(tmp_path, environ=named))) == [NOTES]
    assert list(rows_of(context_for(tmp_path, {"files": [str(history)]}))) == [NOTES]
    settings_win = context_for(tmp_path, {"roots": [str(tmp_path / "empty")]}, environ=named)
    assert rows_of(settings_win) == {}
    assert rows_of(context_for(tmp_path)) == {}  # projects/ itself holds no history file
    monkeypatch.chdir(projects / "weather-cli")
    assert len(rows_of(context_for(tmp_path))) == 2


def test_a_history_file_of_another_name_resumes_with_its_path(projects: Path, tmp_path: Path) -> None:
    """A file named outright gets `--chat-history-file` in its resume command."""
    moved = tmp_path / "elsewhere" / "chat log.md"
    moved.parent.mkdir()
    shutil.copy(projects / "notes-app" / ".aider.chat.history.md", moved)
    (row,) = rows_of(context_for(tmp_path, {"files": [str(moved)]})).values()
    assert row["session_id"] == "aider_elsewhere_20250402-080544"
    assert row["resume_command"] == (
        f"aider --chat-history-file '{moved}' --restore-chat-history")


def test_sessions_sharing_a_project_name_and_second_are_numbered(projects: Path, tmp_path: Path) -> None:
    """Two folders with one name (in two roots), the same start second: the second is `-2`,
    and each id opens its own session."""
    other = tmp_path / "other" / "weather-cli"
    other.parent.mkdir()
    shutil.copytree(projects / "weather-cli", other)
    context = context_for(tmp_path, {"roots": [str(projects), str(tmp_path / "other")]})
    rows = rows_of(context)
    assert {FIRST, f"{FIRST}-2"} <= set(rows)
    assert rows[f"{FIRST}-2"]["workspace"] == str(projects / "weather-cli")
    session = hermes_sessions_aider.hermes_sessions_load_session(context, f"{FIRST}-2", False)
    assert session is not None and session.to_record()["workspace"] == str(projects / "weather-cli")


def test_ids_are_checked_before_touching_the_disk() -> None:
    """Only `aider_<project>_<YYYYMMDD-HHMMSS>[-n]` is ours (S1.3)."""
    assert is_session_id(FIRST) and is_session_id(f"{FIRST}-2")
    for bad in ("aider_*", f"{FIRST}/../x", "aider_", "aider__20250314-091205",
                "aider_Weather_20250314-091205", f"{FIRST}-0", "codex_x"):
        assert not is_session_id(bad), bad


def test_symbolic_links_are_not_followed(projects: Path, tmp_path: Path) -> None:
    """A linked project folder is not entered; a linked history file is reported, not read."""
    root = tmp_path / "links"
    root.mkdir()
    (root / "linked-project").symlink_to(projects / "weather-cli")
    (root / ".aider.chat.history.md").symlink_to(projects / "notes-app" / ".aider.chat.history.md")
    context = context_for(tmp_path, {"roots": [str(root)]})
    listing = hermes_sessions_aider.hermes_sessions_list_rows(context, ListRequest("default"))
    assert listing.rows == ()
    assert [p.error_type for p in listing.problems] == ["SymbolicLink"]


def test_sessions_where_nothing_was_said_are_not_listed(tmp_path: Path) -> None:
    """Aider writes a header each time it starts; a start with no prompt is no session."""
    project = tmp_path / "quiet"
    project.mkdir()
    (project / ".aider.chat.history.md").write_text(
        "\n# aider chat started at 2025-05-01 10:00:00\n\n> Aider v0.82.0  \n"
        "\n# aider chat started at 2025-05-01 10:05:00\n\n#### <blank>  \n"
        "\n# aider chat started at 2025-05-01 10:09:00\n\n#### hi  \n\nHello.\n\n")
    rows = rows_of(context_for(tmp_path, {"roots": [str(tmp_path)]}))
    assert list(rows) == ["aider_quiet_20250501-100900"]


def test_summaries_are_reread_when_the_file_grows(projects: Path, tmp_path: Path) -> None:
    """The cache is keyed by size and mtime: a session Aider appends shows at once, and an
    unchanged file is not parsed again."""
    history = projects / "notes-app" / ".aider.chat.history.md"
    status = os.lstat(history)
    assert cached_history(history, status) is cached_history(history, os.lstat(history))
    with history.open("a") as handle:
        handle.write("\n# aider chat started at 2025-04-03 07:00:00\n\n#### one more  \n")
    rows = rows_of(context_for(tmp_path, {"roots": [str(projects)]}))
    assert rows["aider_notes-app_20250403-070000"]["title"] == "one more"


def test_only_the_end_of_a_huge_history_is_read(
    projects: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the read cap, older sessions are left out and the listing says so."""
    monkeypatch.setattr("hermes_sessions_aider.summary.MAX_READ_BYTES", 1024)
    context = context_for(tmp_path, {"roots": [str(projects / "weather-cli")]})
    listing = hermes_sessions_aider.hermes_sessions_list_rows(context, ListRequest("default"))
    assert [row.session_id for row in listing.rows] == ["aider_weather-cli_20250315-164031"]
    assert [p.error_type for p in listing.problems] == ["FileTooLarge"]
