"""claude_code search: an incremental index keyed by (path, mtime_ns, size)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_claude_code import clear_default_cache
from hermes_sessions_claude_code import search as claude_search
from hermes_sessions_claude_code.discovery import discover

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "claude_code"


@pytest.fixture
def claude(tmp_path: Path) -> tuple[SessionStore, Path]:
    """A store reading a private copy of the real Claude Code fixtures."""
    root = tmp_path / "claude"
    shutil.copytree(FIXTURES, root)
    clear_default_cache()
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui", claude_projects_dir=root,
        environ={},
    )
    manager = make_plugin_manager(builtins=["json_fs", "claude_code"], entry_points=False)
    yield SessionStore(locations, plugin_manager=manager), root
    clear_default_cache()


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    original = claude_search.parse_transcript

    def counting(file: Any, settings: Any) -> Any:
        parsed.append(file.path)
        return original(file, settings)

    monkeypatch.setattr(claude_search, "parse_transcript", counting)
    return parsed


def test_hits_jump_to_the_matched_message(claude: tuple[SessionStore, Path]) -> None:
    """Each hit's position indexes the transcript the host opens for that session."""
    store, _ = claude
    results = store.search("test", sources=["claude_code"], limit=10, per_session=3)
    assert results.hits and results.problems == ()
    for hit in results.hits:
        assert hit.session_id.startswith("claude_code_")
        if hit.position is None:
            continue
        transcript = store.read_messages(hit.session_id)
        assert transcript is not None
        assert "test" in str(transcript.messages[hit.position].get("content")).lower()


def test_only_changed_transcripts_are_read_again(
    claude: tuple[SessionStore, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unchanged (path, mtime, size) is never parsed twice; a changed file is; a vanished one drops."""
    store, root = claude
    parsed = _counting_parses(monkeypatch)
    store.search("test", sources=["claude_code"])
    first = len(parsed)
    assert first >= 5
    store.search("anything", sources=["claude_code"])
    assert len(parsed) == first
    transcripts = sorted(root.glob("*/*.jsonl"))
    changed = transcripts[0]
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    store.search("anything", sources=["claude_code"])
    assert parsed[first:] == [str(changed.resolve())]
    hits_before = {h.session_id for h in store.search("test", sources=["claude_code"], limit=50).hits}
    for path in transcripts:
        path.unlink()
    assert store.search("test", sources=["claude_code"]).hits == ()
    assert hits_before


def test_corrupt_index_is_rebuilt_and_reported(claude: tuple[SessionStore, Path]) -> None:
    """The index is a cache: garbage in its place is replaced, and the search says so."""
    store, _ = claude
    store.search("test", sources=["claude_code"])
    path = claude_search.index_path_for(store.context())
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"not sqlite" * 500)
    results = store.search("test", sources=["claude_code"])
    assert results.hits
    assert [p.error_type for p in results.problems] == ["SearchIndexRebuilt"]


def test_reindex_counts_transcripts(claude: tuple[SessionStore, Path]) -> None:
    """reindex rebuilds the Claude Code index too, reporting progress."""
    store, root = claude
    seen: list[tuple[str, int, int]] = []
    counts, problems = store.rebuild_search_indexes(lambda *a: seen.append(a), ["claude_code"])
    assert problems == [] and counts["claude_code"] == len(discover([str(root)]).sessions) >= 5
    assert seen[-1][0] == "claude_code" and seen[-1][1] == seen[-1][2]
