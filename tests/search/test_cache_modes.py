"""Issue 13, finding 12: search indexes and caches copy message text out of the stores, so only
their owner may read them: files 0600, their folders 0700, at creation and whenever an older
install left them readable by others (docs/hostile-input.md)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Iterator

import pytest
from hermes_sessions_claude_code import clear_default_cache
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.manager import make_plugin_manager

CLAUDE_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "claude_code"


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most machines run with (022), so a file nobody restricted is world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def locations(tmp_path: Path) -> Iterator[Locations]:
    """A Web UI folder with one saved session and a copy of the real Claude Code transcripts."""
    shutil.copytree(CLAUDE_FIXTURES, tmp_path / "claude", ignore=shutil.ignore_patterns("*.md"))
    clear_default_cache()
    yield Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "claude", default_workspace=tmp_path / "ws", environ={},
    )
    clear_default_cache()
    registry.forget_all()


def _store(locations: Locations, **settings: object) -> SessionStore:
    manager = make_plugin_manager(builtins=["json_fs", "claude_code"], entry_points=False)
    return SessionStore(locations, plugin_manager=manager, settings=dict(settings))


def _save_secret(store: SessionStore) -> None:
    store.save(Session(session_id="secret000001", messages=[
        {"role": "user", "content": "my bank password is hunter2", "timestamp": 1700000000.0},
    ]))


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _modes(folder: Path) -> dict[str, str]:
    return {entry.name: oct(_mode(entry)) for entry in sorted(folder.iterdir())}


def test_search_creates_private_indexes(locations: Locations) -> None:
    """A first search builds the json_fs and claude_code indexes: every file of them (the
    SQLite sidecars too) is 0600 and the search folder 0700, under a 022 umask."""
    store = _store(locations)
    _save_secret(store)
    results = store.search("hunter2")
    assert [hit.session_id for hit in results.hits] == ["secret000001"]
    store.search("the")  # the claude_code index too
    folder = locations.state_dir / "search"
    names = sorted(entry.name for entry in folder.iterdir())
    assert any(name.startswith("json_fs-") for name in names)
    assert "claude_code.sqlite" in names
    assert _mode(folder) == 0o700, oct(_mode(folder))
    assert {name: mode for name, mode in _modes(folder).items() if mode != "0o600"} == {}


def test_indexes_left_readable_by_an_older_version_are_tightened_when_opened(
    locations: Locations,
) -> None:
    """Index files at 0644 in a 0755 folder (as versions before this fix wrote them) are
    0600 and 0700 after the next search opens them; the index still answers."""
    store = _store(locations)
    _save_secret(store)
    store.search("hunter2")
    folder = locations.state_dir / "search"
    folder.chmod(0o755)
    for entry in folder.iterdir():
        entry.chmod(0o644)
    results = _store(locations).search("hunter2")
    assert [hit.session_id for hit in results.hits] == ["secret000001"]
    assert _mode(folder) == 0o700, oct(_mode(folder))
    assert {name: mode for name, mode in _modes(folder).items() if mode != "0o600"} == {}


def test_a_configured_index_is_private_but_its_folder_is_left_alone(
    locations: Locations, tmp_path: Path
) -> None:
    """An index path the user configured is created 0600, but the folder they chose (which
    may hold anything) keeps its mode."""
    chosen = tmp_path / "my-indexes"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    store = _store(locations, json_fs={"search_index_path": str(chosen / "webui.sqlite")})
    _save_secret(store)
    assert [hit.session_id for hit in store.search("hunter2").hits] == ["secret000001"]
    assert _mode(chosen) == 0o755
    assert _mode(chosen / "webui.sqlite") == 0o600
    assert {name: mode for name, mode in _modes(chosen).items() if mode != "0o600"} == {}


def test_the_claude_code_listing_cache_is_private(locations: Locations) -> None:
    """The Claude Code listing cache keeps titles and first prompts of every transcript: it is
    0600 in a 0700 folder, like the search indexes."""
    listing = _store(locations).list_sessions()
    assert listing.rows, "the Claude Code fixtures should list"
    cache = locations.state_dir / "cache"
    files = list(cache.iterdir())
    assert files, "no listing cache was written"
    assert _mode(cache) == 0o700, oct(_mode(cache))
    assert {entry.name: oct(_mode(entry)) for entry in files if _mode(entry) != 0o600} == {}
