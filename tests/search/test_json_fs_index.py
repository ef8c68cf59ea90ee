"""json_fs search: the FTS5 index beside the store, kept on save and delete, never required."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from hermes_sessions_json_fs import registry, search_index
from typer.testing import CliRunner

from hermes_sessions_core import Locations, Session, SessionStore, SourceInfo, hookimpl
from hermes_sessions_core.cli import app
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.search import InvalidSearchQuery

NOW = time.time()


def _locations(tmp_path: Path, url: str | None = None) -> Locations:
    return Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui", session_url=url,
        claude_projects_dir=tmp_path / "no-claude", default_workspace=tmp_path / "ws", environ={},
    )


def _store(locations: Locations, sync_seconds: float = 3600.0) -> SessionStore:
    return SessionStore(
        locations,
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
        settings={"json_fs": {"search_sync_seconds": sync_seconds}},
    )


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """A Web UI store on a local folder and on memory:// (index always local)."""
    url = None if request.param == "local" else f"memory://search-{uuid.uuid4().hex}/sessions"
    with _store(_locations(tmp_path, url)) as opened:
        yield opened
    registry.forget_all()


def _session(store: SessionStore, session_id: str, *texts: str, **fields: Any) -> Session:
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text, "timestamp": NOW + i}
        for i, text in enumerate(texts)
    ]
    session = Session(session_id=session_id, messages=messages, **fields)
    store.save(session)
    return session


def _index_file(store: SessionStore) -> Path:
    return search_index.index_path_for(store.context())


def test_saved_messages_are_found_with_their_position(store: SessionStore) -> None:
    """A save indexes at once; the hit says where the message is, the snippet highlights it."""
    _session(store, "s1", "hello", "Use kubectl apply to roll out", title="Cluster work")
    _session(store, "s2", "nothing to see")
    results = store.search("kubectl")
    assert [(h.session_id, h.position, h.role) for h in results.hits] == [("s1", 1, "assistant")]
    hit = results.hits[0]
    assert hit.marked() == "Use [kubectl] apply to roll out" and hit.title == "Cluster work"
    assert store.get("s1").messages[hit.position]["content"].startswith("Use kubectl")
    assert results.problems == ()


def test_title_matches_rank_first(store: SessionStore) -> None:
    """S6.13: a title match comes before content matches."""
    _session(store, "s1", "terraform plan", "terraform apply", "terraform again")
    _session(store, "s2", "unrelated", title="Terraform notes")
    hits = store.search("terraform", per_session=1).hits
    assert hits[0].session_id == "s2" and hits[0].match_type == "title" and hits[0].position is None
    assert hits[1].session_id == "s1"


def test_edits_and_truncation_replace_the_indexed_text(store: SessionStore) -> None:
    """Incremental updates: a changed message is re-indexed, removed ones vanish."""
    session = _session(store, "s1", "alpha", "bravo", "charlie")
    session.messages[1]["content"] = "delta"
    del session.messages[2]
    store.save(session)
    assert store.search("bravo").hits == () and store.search("charlie").hits == ()
    assert [h.position for h in store.search("delta").hits] == [1]
    session.messages.append({"role": "user", "content": "echo", "timestamp": NOW})
    store.save(session)
    assert [h.position for h in store.search("echo").hits] == [2]


def test_deleted_sessions_leave_the_index(store: SessionStore) -> None:
    """Deleting a session removes its documents."""
    _session(store, "s1", "ephemeral words")
    assert store.search("ephemeral").hits
    store.delete("s1")
    assert store.search("ephemeral").hits == ()


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "wrong schema"])
def test_missing_or_corrupt_index_is_rebuilt_and_reported(store: SessionStore, damage: str) -> None:
    """Never required for correctness: search says the index was rebuilt and still answers."""
    _session(store, "s1", "resilient phrase here")
    path = _index_file(store)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    else:
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    results = store.search("resilient")
    assert [h.session_id for h in results.hits] == ["s1"]
    assert [p.error_type for p in results.problems] == ["SearchIndexRebuilt"]
    assert store.search("resilient").problems == ()


def test_index_failure_never_fails_a_save(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken index write is logged and marked stale; the next search catches up."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    _session(store, "s0", "first")
    monkeypatch.setattr(search_index.SearchIndex, "_put", broken)
    _session(store, "s1", "stubborn save")
    assert store.get("s1").messages[0]["content"] == "stubborn save"
    monkeypatch.undo()
    results = store.search("stubborn")
    assert [h.session_id for h in results.hits] == ["s1"]
    assert [p.error_type for p in results.problems] == ["SearchIndexStale"]


def test_files_written_by_another_program_are_picked_up(tmp_path: Path) -> None:
    """The original Web UI writes files without us: a search syncs changed and vanished files."""
    locations = _locations(tmp_path)
    with _store(locations, sync_seconds=0) as store:
        _session(store, "s1", "original words")
        folder = locations.session_dir
        record = json.loads((folder / "s1.json").read_text())
        record["messages"][0]["content"] = "rewritten outside"
        (folder / "s1.json").write_text(json.dumps(record))
        outside = dict(record, session_id="s2", title="Outside")
        outside["messages"] = [{"role": "user", "content": "written outside too"}]
        (folder / "s2.json").write_text(json.dumps(outside))
        (folder / "broken.json").write_text("{not json")
        assert sorted(h.session_id for h in store.search("outside").hits) == ["s1", "s2"]
        assert store.search("original").hits == ()
        (folder / "s2.json").unlink()
        assert [h.session_id for h in store.search("outside").hits] == ["s1"]
    registry.forget_all()


def test_filters_profile_project_archive_dates(store: SessionStore) -> None:
    """Search stays within the profile unless asked; project, archive and dates filter."""
    _session(store, "d1", "needle one", profile="default", project_id="p1")
    _session(store, "w1", "needle two", profile="work")
    _session(store, "a1", "needle three", archived=True)
    assert [h.session_id for h in store.search("needle").hits] == ["d1"]
    assert {h.session_id for h in store.search("needle", all_profiles=True).hits} == {"d1", "w1"}
    assert [h.session_id for h in store.search("needle", profile="work").hits] == ["w1"]
    assert {h.session_id for h in store.search("needle", include_archived=True).hits} == {"d1", "a1"}
    assert [h.session_id for h in store.search("needle", project_id="p1").hits] == ["d1"]
    assert store.search("needle", project_id="nope").hits == ()
    assert store.search("needle", since=NOW + 3600).hits == ()
    assert store.search("needle", until=NOW - 3600).hits == ()
    assert [h.session_id for h in store.search("needle", since=NOW - 5, until=NOW + 5).hits] == ["d1"]
    assert store.search("needle", sources=["claude_code"]).hits == ()
    with pytest.raises(InvalidSearchQuery, match="not a date"):
        store.search("needle", since="yesterday-ish")


def test_hostile_queries_reach_the_real_index_safely(store: SessionStore) -> None:
    """Bad input against the live index: searched as text or refused, never an SQL error."""
    _session(store, "s1", 'he said "NEAR(x, y)" AND (wait) — 数据库 connection 🎉 ok')
    for text in ['"NEAR(x', "AND (wait", "数据", "🎉 ok", "col:x", "x' OR '1'='1", "(((", "*"]:
        try:
            store.search(text)
        except InvalidSearchQuery as error:
            assert "letter or digit" in str(error)
    assert [h.session_id for h in store.search("数据").hits] == ["s1"]
    assert [h.session_id for h in store.search("AND (wait)").hits] == ["s1"]


def test_rebuild_counts_sessions_and_reports_progress(store: SessionStore) -> None:
    """reindex: every file indexed afresh, with (done, total) progress."""
    for number in range(3):
        _session(store, f"s{number}", f"body {number}")
    seen: list[tuple[str, int, int]] = []
    counts, problems = store.rebuild_search_indexes(lambda *a: seen.append(a))
    assert counts == {"json_fs": 3} and problems == []
    assert seen[-1] == ("json_fs", 3, 3)
    assert len(store.search("body", per_session=1, limit=10).hits) == 3


class _BrokenSearch:
    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="broken", label="Broken", writable=False, id_prefixes=("br_",))

    @hookimpl
    def hermes_sessions_search(self, query: Any) -> Any:
        raise RuntimeError("search backend exploded")


class _WrongAnswer:
    @hookimpl
    def hermes_sessions_source_info(self) -> SourceInfo:
        return SourceInfo(name="wrong", label="Wrong", writable=False, id_prefixes=("wr_",))

    @hookimpl
    def hermes_sessions_search(self, query: Any) -> Any:
        return ["not", "results"]


def test_a_failing_source_is_isolated(tmp_path: Path) -> None:
    """A raising or malformed source becomes a problem; json_fs hits still come back."""
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    manager.register(_BrokenSearch(), name="broken")
    manager.register(_WrongAnswer(), name="wrong")
    with SessionStore(_locations(tmp_path), plugin_manager=manager) as store:
        _session(store, "s1", "survivor")
        results = store.search("survivor")
    registry.forget_all()
    assert [h.session_id for h in results.hits] == ["s1"]
    assert {(p.source, p.error_type) for p in results.problems} == {
        ("broken", "RuntimeError"), ("wrong", "TypeError"),
    }


def test_cli_search_reindex_and_bad_input(tmp_path: Path) -> None:
    """`search` prints snippets or JSON, refuses bad input with exit 2; `reindex` rebuilds."""
    locations = _locations(tmp_path)
    with _store(locations) as store:
        _session(store, "s1", "the quick brown fox", title="Foxes")
    registry.forget_all()
    where = ["--home", str(tmp_path / "hermes"), "--state-dir", str(tmp_path / "webui")]
    runner = CliRunner()
    shown = runner.invoke(app, ["search", "brown", *where])
    assert shown.exit_code == 0 and "Foxes" in shown.output and "quick brown fox" in shown.output
    as_json = runner.invoke(app, ["search", "quick", "--json", *where])
    payload = json.loads(as_json.output)
    assert payload["hits"][0]["position"] == 0 and payload["hits"][0]["session_id"] == "s1"
    for bad in ["", "(((", "x" * 2000]:
        refused = runner.invoke(app, ["search", bad, *where])
        assert refused.exit_code == 2, bad
    assert runner.invoke(app, ["search", "x", "--since", "soon", *where]).exit_code == 2
    rebuilt = runner.invoke(app, ["reindex", "--json", *where])
    assert rebuilt.exit_code == 0 and json.loads(rebuilt.output)["indexed"]["json_fs"] == 1
    registry.forget_all()
