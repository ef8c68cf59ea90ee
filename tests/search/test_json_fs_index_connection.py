"""json_fs search: saves share one write connection to the index, which follows the file at
its path (another process's rebuild) and closes with the store."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs import registry, search_index

from hermes_sessions_core import Session, SessionStore
from hermes_sessions_core.search_files import discard_search_index

from .json_fs_store import json_fs_store as _store

NOW = time.time()




@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection the index opens."""
    connections: list[Any] = []
    real_open = search_index.open_search_index

    def counting(*args: Any, **kwargs: Any) -> Any:
        connections.append(real_open(*args, **kwargs))
        return connections[-1]

    monkeypatch.setattr(search_index, "open_search_index", counting)
    return connections


def _save(store: SessionStore, session_id: str, text: str) -> None:
    message = {"role": "user", "content": text, "timestamp": NOW}
    store.save(Session(session_id=session_id, messages=[message]))


def test_saves_from_many_threads_share_one_connection_and_all_land(
    tmp_path: Path, opened: list[Any]
) -> None:
    store = _store(tmp_path)
    try:
        threads = [
            threading.Thread(target=_save, args=(store, f"s{n}", f"parallel{n} words"))
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(opened) == 1
        for n in range(8):
            assert [h.session_id for h in store.search(f"parallel{n}").hits] == [f"s{n}"]
    finally:
        store.close()
        registry.forget_all()


def test_closing_the_store_closes_the_connection(tmp_path: Path, opened: list[Any]) -> None:
    store = _store(tmp_path)
    _save(store, "s1", "first")
    store.close()
    with pytest.raises(Exception, match="closed"):
        opened[0].execute("SELECT 1")
    _save(store, "s2", "second")  # a store used after close opens one again
    assert len(opened) == 2 and store.search("second").hits
    store.close()
    registry.forget_all()


def test_an_index_rebuilt_by_another_process_is_followed(tmp_path: Path) -> None:
    """Another process discards the index and builds a new file at its path: the next save
    writes that new file, never the old one it still has open."""
    store = _store(tmp_path)
    try:
        _save(store, "s1", "before rebuild")
        path = search_index.index_path_for(store.context())
        other = search_index.SearchIndex(path, registry.session_files_for(store.context()))
        discard_search_index(path)
        other.sync()  # the "other process": a fresh file, already holding s1
        other.close()
        _save(store, "s2", "after rebuild")
        assert [h.session_id for h in store.search("after").hits] == ["s2"]
        assert [h.session_id for h in store.search("before").hits] == ["s1"]
        assert store.search("after").problems == ()
    finally:
        store.close()
        registry.forget_all()
