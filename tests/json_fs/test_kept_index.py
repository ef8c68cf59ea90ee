"""The decoded ``_index.json`` is kept between listings only while no write can have gone
unseen: a settled version (unmodified for two seconds, or an ETag), re-checked with one stat."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs.listed_rows import ListedRows
from hermes_sessions_json_fs.session_files import SessionFiles
from hermes_sessions_json_fs.storage import SETTLED_AFTER_SECONDS

from hermes_sessions_core import Session

from .conftest import chat, original_file

OLD = 1_700_000_000.0


@pytest.fixture
def index_reads(monkeypatch: pytest.MonkeyPatch, files: SessionFiles) -> list[str]:
    """Names of every whole read the folder makes."""
    reads: list[str] = []
    real = files.folder.read_with_version

    def counting(name: str, limit: int | None = None) -> Any:
        reads.append(name)
        return real(name, limit)

    monkeypatch.setattr(files.folder, "read_with_version", counting)
    return reads


def _original_store(files: SessionFiles, titles: dict[str, str], at: float = OLD) -> Path:
    """Session files and an ``_index.json`` as the original writes them, modified at ``at``."""
    folder = Path(files.folder.root)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for session_id, title in titles.items():
        path = folder / f"{session_id}.json"
        path.write_bytes(original_file(session_id, chat(2), title=title))
        os.utime(path, (at, at))
        loaded = files.load(session_id)
        assert loaded is not None
        rows.append(loaded.compact())
    index = folder / "_index.json"
    index.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    os.utime(index, (at, at))
    return index


def _titles(files: SessionFiles) -> dict[str, str]:
    rows, problems = files.rows()
    assert problems == []
    return {row["session_id"]: row["title"] for row in rows}


def test_a_settled_index_is_decoded_once(files: SessionFiles, index_reads: list[str]) -> None:
    _original_store(files, {"a1": "First", "b2": "Second"})
    assert _titles(files) == {"a1": "First", "b2": "Second"}
    assert _titles(files) == {"a1": "First", "b2": "Second"}
    assert index_reads.count("_index.json") == 1


def test_another_writers_index_is_read_again(files: SessionFiles, index_reads: list[str]) -> None:
    """Any rewrite changes the inode, size or mtime: the next listing decodes the new rows."""
    index = _original_store(files, {"a1": "First", "b2": "Second"})
    assert _titles(files)["a1"] == "First"
    rows = json.loads(index.read_text(encoding="utf-8"))
    rows[0]["title"] = "Renamed by the original"
    replacement = index.with_name("_index.tmp")
    replacement.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    os.replace(replacement, index)  # as the original writes it: a new inode, mtime now
    assert _titles(files)[rows[0]["session_id"]] == "Renamed by the original"
    assert _titles(files)[rows[0]["session_id"]] == "Renamed by the original"
    # Not yet settled (modified just now): decoded on every listing until it is.
    assert index_reads.count("_index.json") == 3


def test_an_index_modified_just_now_is_not_kept(files: SessionFiles) -> None:
    index = _original_store(files, {"a1": "First"}, at=time.time())
    assert files.index.read() is not None
    assert files.index.cached_row("a1") is None
    os.utime(index, (OLD, OLD))
    assert files.index.read() is not None
    assert files.index.cached_row("a1") is not None
    assert time.time() - OLD > SETTLED_AFTER_SECONDS


def test_saves_and_deletes_reach_a_kept_index(files: SessionFiles) -> None:
    _original_store(files, {"a1": "First", "b2": "Second"})
    assert _titles(files) == {"a1": "First", "b2": "Second"}
    session = files.load("a1")
    assert session is not None
    session.title = "Saved since"
    files.save(session)
    files.delete("b2")
    files.save(Session(session_id="c3", title="New", messages=chat(1)))
    assert _titles(files) == {"a1": "Saved since", "c3": "New"}


def test_a_kept_change_file_rewritten_is_read_again(files: SessionFiles) -> None:
    """Change files are kept like the index; a save writes a new one, never the same tag."""
    _original_store(files, {"a1": "First"})
    session = files.load("a1")
    assert session is not None
    for title in ("One", "Two", "Three"):
        session.title = title
        files.save(session)
        assert _titles(files) == {"a1": title}


def test_a_caller_changing_its_rows_never_changes_the_next_listing(
    files: SessionFiles,
) -> None:
    """Kept rows are listed again (S0.2): their nested values are read-only, what a caller
    changes through ``to_dict`` is its own, and what the sidebar derived from a row is
    computed once."""
    index = _original_store(files, {"a1": "First"})
    rows = json.loads(index.read_text(encoding="utf-8"))
    rows[0]["gateway_routing_history"] = [{"platform": "telegram"}]
    index.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    os.utime(index, (OLD, OLD))
    listed = ListedRows()
    first = listed.adopt_all(files.rows()[0])[0]
    mine = first.to_dict()
    mine["title"] = "changed by the caller"
    mine["gateway_routing_history"].append({"hacked": True})
    mine["composer_draft"]["text"] = "hacked"
    with pytest.raises(TypeError):
        first["gateway_routing_history"][0]["platform"] = "hacked"  # a careless caller
    with pytest.raises((TypeError, AttributeError)):
        first["gateway_routing_history"].append({"hacked": True})  # type: ignore[attr-defined]
    assert first.to_dict()["gateway_routing_history"] == [{"platform": "telegram"}]
    computed: list[str] = []

    def derive(row: Any) -> str:
        computed.append(row.session_id)
        return str(row["title"])

    assert first.memoized(derive) == "First"
    again = listed.adopt_all(files.rows()[0])[0]
    assert again is first  # the same row: what was derived from it is reused
    assert again.to_dict()["title"] == "First"
    assert again.to_dict()["gateway_routing_history"] == [{"platform": "telegram"}]
    assert again.to_dict()["composer_draft"] == {}
    assert again.memoized(derive) == "First" and computed == ["a1"]
    saved = json.loads(json.dumps(again.to_dict()))
    assert saved["gateway_routing_history"] == [{"platform": "telegram"}]


def test_rows_without_a_profile_report_default_without_changing_the_index(
    files: SessionFiles,
) -> None:
    index = _original_store(files, {"a1": "First"})
    rows = json.loads(index.read_text(encoding="utf-8"))
    del rows[0]["profile"]
    index.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    os.utime(index, (OLD, OLD))
    listed = ListedRows()
    assert listed.adopt_all(files.rows()[0])[0]["profile"] == "default"
    assert "profile" not in files.index.cached_row("a1")  # type: ignore[operator]


def test_session_files_added_or_removed_behind_a_kept_listing_are_seen(
    files: SessionFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder's names are kept with its version: any file created, renamed in or removed
    changes the folder's mtime, so the next listing lists again."""
    _original_store(files, {"a1": "First", "b2": "Second"})
    folder = Path(files.folder.root)
    os.utime(folder, (OLD, OLD))
    listings: list[int] = []
    real = files.folder.names

    def counting(subfolder: str = "") -> list[str]:
        if not subfolder:
            listings.append(1)
        return real(subfolder)

    monkeypatch.setattr(files.folder, "names", counting)
    assert files.session_ids_on_storage() == {"a1", "b2"}
    assert files.session_ids_on_storage() == {"a1", "b2"}
    assert len(listings) == 1
    (folder / "c3.json").write_bytes(original_file("c3", chat(2), title="Third"))
    assert files.session_ids_on_storage() == {"a1", "b2", "c3"}
    (folder / "a1.json").unlink()
    assert files.session_ids_on_storage() == {"b2", "c3"}
    assert "a1" not in _titles(files) and _titles(files)["c3"] == "Third"
