"""The shared index over transcript files: it keeps up with the files by (path, mtime_ns, size),
rebuilds itself when unusable, and cuts its answer in rank order."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from hermes_sessions_core.file_search_index import (
    FileTranscriptIndex,
    IndexedSource,
    IndexedTranscript,
)
from hermes_sessions_core.models import Problem
from hermes_sessions_core.search import SearchResults, parse_query, rank_key

SOURCE = IndexedSource("fake_files", "Fake", "file", schema_version="1")


class FakeFile(NamedTuple):
    path: str
    mtime_ns: int
    size: int


class FakeSource:
    """Sessions as JSON files in a folder: ``{"id", "title", "messages", "rank"}``; a file
    with ``"id": ""`` holds no session. ``reads`` lists every file read."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.reads: list[str] = []
        folder.mkdir(exist_ok=True)

    def write(self, name: str, session_id: str, *texts: str, title: str = "",
              rank: float = 0.0, notice: str = "") -> Path:
        """A session file; ``notice`` starts it with the host's own note of what was left out."""
        path = self.folder / f"{name}.json"
        messages: list[dict[str, Any]] = [{"role": "user", "content": text,
                                           "timestamp": 1000.0 + n} for n, text in enumerate(texts)]
        if notice:
            messages.insert(0, {"role": "system", "kind": "notice", "content": notice})
        path.write_text(json.dumps({"id": session_id, "title": title, "messages": messages,
                                    "rank": rank}), encoding="utf-8")
        return path

    def discover(self) -> tuple[list[FakeFile], list[Problem]]:
        found = []
        for path in sorted(self.folder.glob("*.json")):
            status = path.stat()
            found.append(FakeFile(str(path), status.st_mtime_ns, status.st_size))
        return found, []

    def read(self, file: FakeFile) -> IndexedTranscript:
        self.reads.append(Path(file.path).stem)
        data: dict[str, Any] = json.loads(Path(file.path).read_text(encoding="utf-8"))
        return IndexedTranscript(data["id"], data["title"], 2000.0, data["messages"],
                                 rank=data["rank"])

    def index(self, path: Path, source: IndexedSource = SOURCE,
              max_messages: int = 100) -> FileTranscriptIndex[FakeFile]:
        return FileTranscriptIndex(path, source, self.discover, self.read, max_messages)


@pytest.fixture
def files(tmp_path: Path) -> FakeSource:
    return FakeSource(tmp_path / "sessions")


def _found(results: SearchResults) -> list[tuple[str, int | None]]:
    return [(hit.session_id, hit.position) for hit in results.hits]


def _search(index: FileTranscriptIndex[FakeFile], text: str, **options: Any) -> SearchResults:
    return index.search(parse_query(text, include_archived=True, **options))


def test_update_reads_only_new_and_changed_files_and_drops_vanished_ones(
    files: FakeSource, tmp_path: Path
) -> None:
    """A file is read again only when its (mtime_ns, size) changed; a vanished file's hits
    go with it, a new file's arrive."""
    files.write("a", "s-a", "the zebra grazes")
    files.write("b", "s-b", "a zebra sleeps")
    index = files.index(tmp_path / "index.sqlite")
    assert index.update() == (2, [])
    assert index.update() == (0, [])
    assert files.reads == ["a", "b"]

    files.write("a", "s-a", "the giraffe grazes on tall trees")
    os.unlink(files.folder / "b.json")
    files.write("c", "s-c", "a zebra in a new file")
    files.reads.clear()
    results = _search(index, "zebra", limit=10)
    assert sorted(files.reads) == ["a", "c"]
    assert _found(results) == [("s-c", 0)]
    assert _found(_search(index, "giraffe")) == [("s-a", 0)]


def test_a_file_that_cannot_be_read_is_a_problem_and_is_tried_again(
    files: FakeSource, tmp_path: Path
) -> None:
    """An OSError from reading names the file; it is not remembered, so the next search
    reads it again."""
    files.write("a", "s-a", "zebra")
    failing = True
    read = files.read

    def flaky(file: FakeFile) -> IndexedTranscript:
        if failing:
            raise PermissionError(13, "Permission denied", file.path)
        return read(file)

    index = FileTranscriptIndex(tmp_path / "index.sqlite", SOURCE, files.discover, flaky, 100)
    results = _search(index, "zebra")
    assert results.hits == ()
    assert [problem.path for problem in results.problems] == [str(files.folder / "a.json")]
    failing = False
    assert _found(_search(index, "zebra")) == [("s-a", 0)]


@pytest.mark.parametrize("damage", ["garbage", "other schema version"])
def test_an_unusable_index_is_rebuilt_and_the_search_says_so(
    files: FakeSource, tmp_path: Path, damage: str
) -> None:
    """A corrupt index, or one from another schema version, is thrown away and built again;
    the search still answers and reports the rebuild once."""
    files.write("a", "s-a", "zebra")
    path = tmp_path / "index.sqlite"
    files.index(path).update()
    if damage == "garbage":
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(b"this is not a database" * 100)
    else:
        with closing(sqlite3.connect(path)) as connection, connection:
            connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    results = _search(files.index(path), "zebra")
    assert _found(results) == [("s-a", 0)]
    assert [p.error_type for p in results.problems] == ["SearchIndexRebuilt"]
    assert "the Fake search index could not be used" in results.problems[0].message
    assert "rebuilt it from 1 file(s)" in results.problems[0].message
    assert _search(files.index(path), "zebra").problems == ()


def test_the_cut_keeps_rank_order(files: FakeSource, tmp_path: Path) -> None:
    """Titles first, then messages by score: at most ``per_session`` hits per session, and the
    first N hits of a longer answer are the answer for N."""
    files.write("a", "s-a", "zebra", "zebra zebra zebra", "zebra and more words here",
                title="zebra notes")
    files.write("b", "s-b", "zebra zebra", "one zebra among many other words in here")
    files.write("c", "s-c", "zebra crossing")
    index = files.index(tmp_path / "index.sqlite")
    everything = _search(index, "zebra", limit=50, per_session=10).hits
    assert [hit.match_type for hit in everything][:1] == ["title"]
    assert list(everything) == sorted(everything, key=rank_key)
    for limit in range(1, len(everything) + 1):
        assert _search(index, "zebra", limit=limit, per_session=10).hits == everything[:limit]
    one_each = _search(index, "zebra", limit=50, per_session=1).hits
    first_per_session = {}
    for hit in everything:
        first_per_session.setdefault(hit.session_id, hit)
    assert list(one_each) == list(first_per_session.values())


def test_positions_count_in_the_transcript_the_host_shows(
    files: FakeSource, tmp_path: Path
) -> None:
    """Past ``max_messages`` the host shows a notice then the last messages: a match counts
    from after the notice, and one in a left-out message has no position. The file's own
    notice counts as a message but is not searched."""
    files.write("a", "s-a", "zebra early", "filler", "filler", "zebra late", notice="zebra gap")
    index = files.index(tmp_path / "index.sqlite", max_messages=2)
    assert sorted(_found(_search(index, "zebra", per_session=10)), key=str) == [
        ("s-a", 2), ("s-a", None)]
    assert _search(index, "gap").hits == ()


def test_one_file_per_session_searches_only_the_highest_ranked(
    files: FakeSource, tmp_path: Path
) -> None:
    """With ``one_file_per_session``, of two files holding one session only the higher-ranked
    one is searched; when it goes, the other is searched again. A file holding no session is
    never searched."""
    source = IndexedSource("fake_files", "Fake", "file", "1", one_file_per_session=True)
    files.write("old", "s-x", "filler", "zebra zebra in the old copy", rank=1.0)
    files.write("new", "s-x", "zebra in the new copy", rank=2.0)
    files.write("none", "", "zebra in a file with no session")
    index = files.index(tmp_path / "index.sqlite", source)
    assert [hit.snippet for hit in _search(index, "zebra", per_session=10).hits] == [
        "zebra in the new copy"]
    os.unlink(files.folder / "new.json")
    assert [hit.snippet for hit in _search(index, "zebra", per_session=10).hits] == [
        "zebra zebra in the old copy"]


def test_the_layout_and_the_source_version_are_both_stored(
    files: FakeSource, tmp_path: Path
) -> None:
    """The stored schema names the shared layout and the source's own version, so bumping
    either rebuilds old indexes."""
    path = tmp_path / "index.sqlite"
    files.index(path).update()
    with closing(sqlite3.connect(path)) as connection:
        (version,) = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    assert version.endswith(".1") and version != "1"
