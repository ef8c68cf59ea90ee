"""Discovery: roots (S4.1), what is and is not a session (S4.2), symlinks, subagent links."""

from __future__ import annotations

import os
from pathlib import Path

from hermes_sessions_claude_code import claude_code_session_id, list_claude_code_rows

from hermes_sessions_core.locations import Locations

from .conftest import FLAT_AGENTS, INLINE, SESSIONS, SUBAGENTS_DIR, row_for


def test_roots_precedence_explicit_then_env_then_config_dir(tmp_path: Path, monkeypatch) -> None:
    """S4.1: explicit dir, then HERMES_WEBUI_CLAUDE_PROJECTS_DIR, then CLAUDE_CONFIG_DIR entries."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{tmp_path}/a, {tmp_path}/b")
    plain = Locations.from_environment(base_home=tmp_path / "h", state_dir=tmp_path / "w")
    assert plain.claude_projects_roots() == (tmp_path / "a" / "projects", tmp_path / "b" / "projects")
    monkeypatch.setenv("HERMES_WEBUI_CLAUDE_PROJECTS_DIR", str(tmp_path / "override"))
    assert plain.claude_projects_roots() == (tmp_path / "override",)
    explicit = Locations.from_environment(
        base_home=tmp_path / "h", state_dir=tmp_path / "w", claude_projects_dir=tmp_path / "x"
    )
    assert explicit.claude_projects_roots() == (tmp_path / "x",)


def test_claude_config_dir_roots_are_all_listed(projects: Path, tmp_path: Path, monkeypatch, cache) -> None:
    """S4.1, S8.25: every CLAUDE_CONFIG_DIR entry's projects folder is read."""
    second = tmp_path / "second" / "projects" / "-p"
    second.mkdir(parents=True)
    (second / "abc.jsonl").write_bytes((projects / FLAT_AGENTS).read_bytes())
    (tmp_path / "first").mkdir()
    os.rename(projects, tmp_path / "first" / "projects")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{tmp_path / 'first'},{tmp_path / 'second'}")
    roots = Locations.from_environment(base_home=tmp_path / "h", state_dir=tmp_path / "w").claude_projects_roots()
    listing = list_claude_code_rows(roots, cache=cache)
    assert len(listing.rows) == len(SESSIONS) + 1
    assert listing.problems == ()


def test_default_root_is_home_claude_projects(isolated_environment: Path, projects: Path, cache) -> None:
    """S4.1: without overrides the source reads ~/.claude/projects (here a private HOME)."""
    (isolated_environment / ".claude").mkdir()
    os.rename(projects, isolated_environment / ".claude" / "projects")
    roots = Locations.from_environment(base_home=isolated_environment / "h").claude_projects_roots()
    assert roots[0] == isolated_environment / ".claude" / "projects"
    assert len(list_claude_code_rows(roots, cache=cache).rows) == len(SESSIONS)


def test_only_top_level_session_files_are_rows(projects: Path, cache) -> None:
    """S4.2, S8.22: subagents in all three layouts and non-session files are never rows."""
    listing = list_claude_code_rows([projects], cache=cache)
    stems = sorted(row["external_session_id"] for row in listing.rows)
    assert stems == sorted(Path(name).stem for name in SESSIONS)
    assert not any(row["title"] == "Warmup" for row in listing.rows)


def test_non_session_files_and_folders_are_ignored(projects: Path, cache) -> None:
    """S4.2: sessions-index.json, memory/, bash-outputs/, tool-results/ and summary-only files."""
    project = projects / "-tmp-private"
    (project / "sessions-index.json").write_text('{"entries": []}')
    (project / "memory").mkdir()
    (project / "memory" / "notes.jsonl").write_bytes((projects / FLAT_AGENTS).read_bytes())
    (project / "bash-outputs").mkdir()
    (project / "4c2ddfdc-b619-4525-8d03-1950fb1b0257" / "tool-results").mkdir(parents=True)
    (project / "4c2ddfdc-b619-4525-8d03-1950fb1b0257" / "tool-results" / "x.jsonl").write_text("{}\n")
    (project / "summary-only.jsonl").write_text(
        '{"type":"summary","summary":"Old work","leafUuid":"nowhere"}\n'
        '{"type":"file-history-snapshot","messageId":"m","snapshot":{}}\n'
    )
    listing = list_claude_code_rows([projects], cache=cache)
    assert len(listing.rows) == len(SESSIONS)


def test_subagents_are_linked_to_their_parent(projects: Path, cache) -> None:
    """S4.2, S9.10: folder subagents (2.1.x), flat agent-* (2.0.x) and inline sidechains (1.0.x)."""
    listing = list_claude_code_rows([projects], cache=cache)
    folder = row_for(listing, "0ccf1a04")
    assert folder["subagent_count"] == 5
    assert {a["layout"] for a in folder["subagents"]} == {"subagents"}
    assert {a["agent_id"] for a in folder["subagents"]} == {
        "a5bdbc1", "a9cad17", "aa5ef13", "ac27727", "afbbf75"
    }
    flat = row_for(listing, "4c2ddfdc")
    assert sorted(a["agent_id"] for a in flat["subagents"]) == ["36541525", "50243ee8"]
    assert {a["layout"] for a in flat["subagents"]} == {"flat"}
    inline = row_for(listing, "5c0375b4")
    assert inline["subagent_count"] == 2 and inline["inline_subagent_count"] == 2
    assert row_for(listing, "55604662")["subagent_count"] == 0


def test_symlinks_are_never_followed(projects: Path, tmp_path: Path, cache) -> None:
    """S4.2: a symlinked root, project folder or file is skipped and reported."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_bytes((projects / FLAT_AGENTS).read_bytes())
    (projects / "-tmp-private" / "linked.jsonl").symlink_to(outside / "secret.jsonl")
    (projects / "-linked-project").symlink_to(outside)
    listing = list_claude_code_rows([projects], cache=cache)
    assert len(listing.rows) == len(SESSIONS)
    kinds = sorted(p.error_type for p in listing.problems)
    assert kinds == ["SymlinkSkipped", "SymlinkSkipped"]
    link_root = tmp_path / "link-root"
    link_root.symlink_to(projects)
    linked = list_claude_code_rows([link_root], cache=cache)
    assert linked.rows == () and linked.problems[0].error_type == "SymlinkSkipped"


def test_ids_are_stable_hashes_of_the_resolved_path(projects: Path, cache) -> None:
    """S4.3: claude_code_ + 24 hex of SHA-256 of the resolved path; external id is the stem."""
    listing = list_claude_code_rows([projects], cache=cache)
    row = row_for(listing, "5c0375b4")
    assert row["session_id"] == claude_code_session_id(projects / INLINE)
    assert len(row["session_id"]) == len("claude_code_") + 24
    assert row["external_session_id"] == "5c0375b4-57a5-4f26-b12d-d022ee4e51b7"
    again = list_claude_code_rows([projects], cache=type(cache)())
    assert row_for(again, "5c0375b4")["session_id"] == row["session_id"]
    assert row_for(listing, "0ccf1a04")["session_id"] == claude_code_session_id(projects / SUBAGENTS_DIR)
