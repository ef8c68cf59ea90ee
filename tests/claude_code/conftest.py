"""Claude Code fixtures: a private copy of the real transcripts per test, and a fresh cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hermes_sessions_claude_code import SummaryCache

FIXTURE_ROOT = Path(__file__).parent.parent / "fixtures" / "claude_code"

COMPACTION = "-Users-user-repo/624a4a58-b34c-462d-a70d-13421c8125a8.jsonl"
SUBAGENTS_DIR = "-Users-pete-tmp-claude-code-sessions/0ccf1a04-1b4c-43b6-8aa5-79e41db43a68.jsonl"
SHORT = "-home-marco-projects-spotter/55604662-cf2a-4331-851a-ec234028f8ca.jsonl"
TOOL_HEAVY = "-home-marco-projects-spotter/d6e0bada-1959-4eec-a9d2-0bfade768d8f.jsonl"
FLAT_AGENTS = "-tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl"
INLINE = "-path-to-Demo/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl"
IMAGES = "-Users-pete-git-moredip-session-share/47bf5f5c-9e11-4f51-8a29-7ad38ecdf17c.jsonl"
SESSIONS = (COMPACTION, SUBAGENTS_DIR, SHORT, TOOL_HEAVY, FLAT_AGENTS, INLINE, IMAGES)


@pytest.fixture
def projects(tmp_path: Path) -> Path:
    """A writable copy of the fixture projects root; file mtimes one minute apart, in
    SESSIONS order (the first is the newest)."""
    root = tmp_path / "projects"
    shutil.copytree(FIXTURE_ROOT, root, ignore=shutil.ignore_patterns("README.md"))
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    base = 1_760_000_000
    for index, name in enumerate(SESSIONS):
        stamp = base - 60 * index
        os.utime(root / name, (stamp, stamp))
    return root


@pytest.fixture
def cache() -> SummaryCache:
    return SummaryCache()


def row_for(listing, stem: str):
    """The row whose external id starts with ``stem``."""
    matches = [row for row in listing.rows if row["external_session_id"].startswith(stem)]
    assert len(matches) == 1, [row["external_session_id"] for row in listing.rows]
    return matches[0]
