"""json_fs search: saves do not sync the index to disk, so a power cut may roll back its last
commits; the first search of the next process catches up from the session files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

from hermes_sessions_json_fs import registry, search_index

from hermes_sessions_core import Session, SessionStore
from hermes_sessions_core.atomic import write_file_atomically

from .json_fs_store import json_fs_store as _store

NOW = time.time()




def _save(store: SessionStore, session_id: str, *texts: str) -> Session:
    messages = [{"role": "user", "content": text, "timestamp": NOW} for text in texts]
    session = Session(session_id=session_id, messages=messages)
    store.save(session)
    return session


def _found(store: SessionStore, word: str) -> list[str]:
    results = store.search(word)
    assert results.problems == ()  # a silent catch-up, not a rebuild
    return sorted(hit.session_id for hit in results.hits)


def _index_as_it_was(index: Path, copy: Path) -> None:
    """What a power cut leaves when the commits made after ``copy`` never reached the disk."""
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(copy, index)


def test_commits_rolled_back_by_a_power_cut_are_caught_up(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _save(store, "s1", "alpha words")
    _save(store, "s3", "doomed words")
    index = search_index.index_path_for(store.context())
    store.close()  # the last connection: everything is in the database file now
    shutil.copyfile(index, tmp_path / "before.sqlite")
    registry.forget_all()

    store = _store(tmp_path)
    _save(store, "s1", "alpha words", "bravo words")  # grows
    _save(store, "s2", "bravo too")  # new
    store.delete("s3")
    store.close()
    registry.forget_all()
    _index_as_it_was(index, tmp_path / "before.sqlite")

    store = _store(tmp_path)  # the next process
    try:
        assert _found(store, "bravo") == ["s1", "s2"]
        assert _found(store, "doomed") == []
        assert _found(store, "alpha") == ["s1"]
    finally:
        store.close()
        registry.forget_all()


def test_a_same_size_save_within_one_clock_tick_is_caught_up(tmp_path: Path) -> None:
    """A coarse clock can give two saves the same mtime; with the same size, only the file's
    inode (every save writes a new one) tells the lost commit apart."""
    store = _store(tmp_path)
    _save(store, "s1", "alpha words")
    session_file = store.locations.session_dir / "s1.json"
    first = os.stat(session_file)
    store.close()
    registry.forget_all()
    # The next save as it reached the disk, while its index commit did not.
    write_file_atomically(session_file, session_file.read_bytes().replace(b"alpha", b"bravo"))
    os.utime(session_file, ns=(first.st_atime_ns, first.st_mtime_ns))
    assert os.stat(session_file).st_size == first.st_size

    store = _store(tmp_path)
    try:
        assert _found(store, "bravo") == ["s1"]
        assert _found(store, "alpha") == []
    finally:
        store.close()
        registry.forget_all()


def test_a_row_missing_from_the_index_is_found_by_the_next_process(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _save(store, "s1", "charlie words")
    index = search_index.index_path_for(store.context())
    store.close()
    registry.forget_all()
    with sqlite3.connect(index) as connection:
        connection.execute("DELETE FROM docs")
        connection.execute("DELETE FROM sessions")
    connection.close()

    store = _store(tmp_path)
    try:
        assert _found(store, "charlie") == ["s1"]
    finally:
        store.close()
        registry.forget_all()


def test_rows_indexed_before_inodes_were_fingerprinted_are_not_read_again(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _save(store, "s1", "delta words")
    index = search_index.index_path_for(store.context())
    found = os.stat(store.locations.session_dir / "s1.json")
    store.close()
    registry.forget_all()
    with sqlite3.connect(index) as connection:
        connection.execute(
            "UPDATE sessions SET fingerprint = ?", (f"{found.st_mtime_ns}:{found.st_size}",)
        )
    connection.close()

    store = _store(tmp_path)
    try:
        assert search_index.search_index_for(store.context()).sync() == 0
    finally:
        store.close()
        registry.forget_all()
