"""Metadata-only reads of files the original wrote (no ``message_count``): the count comes from
the index row only when that row is provably of the very file read (S1.6, S2.11-S2.13)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs.index import CHANGES_FOLDER
from hermes_sessions_json_fs.session_files import SessionFiles

from hermes_sessions_core import Session

from .conftest import chat, original_file

MESSAGES = 3000
UPDATED_AT = 1700000100.25


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every byte any ``os.read`` returns while the test runs."""
    counted: list[int] = []
    real_read = os.read

    def counting(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        counted.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting)
    return counted


def _write_original(files: SessionFiles, session_id: str) -> Path:
    path = Path(files.folder.path(files.file_name(session_id)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(original_file(session_id, chat(MESSAGES), title="Long one"))
    return path


def _row(files: SessionFiles, session_id: str, **changes: Any) -> dict[str, Any]:
    """The row a listing computes for the file, with ``changes`` applied."""
    session = files.load(session_id)
    assert session is not None
    row = session.compact()
    row.update(changes)
    return row


def _write_change_file(files: SessionFiles, row: dict[str, Any]) -> Path:
    path = Path(files.folder.path(f"{CHANGES_FOLDER}/{row['session_id']}.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(row))
    return path


def test_a_matching_change_file_gives_the_count_without_reading_the_file(
    files: SessionFiles, bytes_read: list[int]
) -> None:
    """S2.13: the prefix lacks the count, the row of this very version holds it."""
    path = _write_original(files, "s1")
    _write_change_file(files, _row(files, "s1"))
    bytes_read.clear()
    session = files.load_metadata("s1")
    assert session is not None and session.is_partial and session.messages == []
    assert session.message_count == MESSAGES
    assert session.compact()["user_message_count"] == MESSAGES // 2
    assert sum(bytes_read) < 16384 < path.stat().st_size


def test_a_row_of_another_version_is_never_used(files: SessionFiles) -> None:
    """A row whose updated_at differs from the file's is an earlier (or later) save's."""
    _write_original(files, "s1")
    _write_change_file(files, _row(files, "s1", message_count=7, updated_at=UPDATED_AT - 60))
    session = files.load_metadata("s1")
    assert session is not None and not session.is_partial
    assert session.message_count == MESSAGES


def test_a_change_file_older_than_the_session_file_is_never_used(files: SessionFiles) -> None:
    """The original rewrote the file after our save, keeping updated_at (a title change):
    the row our save left describes the version before, so the whole file is read."""
    path = _write_original(files, "s1")
    change = _write_change_file(files, _row(files, "s1", message_count=7))
    os.utime(change, (1_700_000_000, 1_700_000_000))
    session = files.load_metadata("s1")
    assert session is not None and not session.is_partial
    assert session.message_count == MESSAGES
    os.utime(change, (path.stat().st_mtime + 1,) * 2)
    session = files.load_metadata("s1")
    assert session is not None and session.is_partial and session.message_count == 7


@pytest.mark.parametrize("damage", ["torn", "deleted", "no count", "other id", "odd types"])
def test_a_damaged_row_is_never_used(files: SessionFiles, damage: str) -> None:
    _write_original(files, "s1")
    row = _row(files, "s1")
    if damage == "torn":
        change = _write_change_file(files, row)
        change.write_text(change.read_text()[:40])
    elif damage == "deleted":
        _write_change_file(files, {"session_id": "s1", "_deleted": True})
    else:
        if damage == "no count":
            del row["message_count"]
        elif damage == "other id":
            row["session_id"] = "s2"
        else:
            row["profile"] = ["not", "text"]
        path = _write_change_file(files, row)
        path.rename(path.with_name("s1.json"))
    session = files.load_metadata("s1")
    assert session is not None and not session.is_partial
    assert session.message_count == MESSAGES


def _write_original_index(files: SessionFiles, rows: list[dict[str, Any]], at: float) -> Path:
    """``_index.json`` as the original writes it, last modified at ``at``."""
    path = Path(files.folder.path("_index.json"))
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    os.utime(path, (at, at))
    return path


def test_a_row_the_index_holds_decoded_is_used_when_it_matches(
    files: SessionFiles, bytes_read: list[int]
) -> None:
    """Without a change file, a row the index already decoded serves, under the same proof;
    ``_index.json`` itself is never read for one metadata read."""
    path = _write_original(files, "s1")
    os.utime(path, (UPDATED_AT, UPDATED_AT))
    _write_original_index(files, [_row(files, "s1")], UPDATED_AT + 1)
    assert files.index.read() is not None  # a listing decodes it, and it is kept
    bytes_read.clear()
    session = files.load_metadata("s1")
    assert session is not None and session.is_partial and session.message_count == MESSAGES
    assert sum(bytes_read) < 16384


@pytest.mark.parametrize("mismatch", ["updated_at", "index older than the file"])
def test_a_row_the_index_holds_decoded_is_refused_when_it_may_be_older(
    files: SessionFiles, mismatch: str
) -> None:
    """A row of another ``updated_at``, or an index written before the session file (the
    original saved it with ``skip_index``), may describe an earlier version."""
    path = _write_original(files, "s1")
    os.utime(path, (UPDATED_AT, UPDATED_AT))
    if mismatch == "updated_at":
        row = _row(files, "s1", updated_at=UPDATED_AT + 1, message_count=1)
        _write_original_index(files, [row], UPDATED_AT + 1)
    else:
        _write_original_index(files, [_row(files, "s1", message_count=1)], UPDATED_AT - 1)
    assert files.index.read() is not None
    assert files.index.cached_row("s1") is not None  # held, yet not provably this version
    session = files.load_metadata("s1")
    assert session is not None and not session.is_partial and session.message_count == MESSAGES


def test_files_with_a_recorded_count_never_look_at_rows(files: SessionFiles) -> None:
    """Our own files record the count (S1.6): a row, even a wrong one, is not consulted."""
    _write_original(files, "s1")
    session = files.load("s1")
    assert session is not None
    files.save(session)
    _write_change_file(files, _row(files, "s1", message_count=7))
    partial = files.load_metadata("s1")
    assert partial is not None and partial.is_partial and partial.message_count == MESSAGES


def test_the_first_listing_lets_later_metadata_reads_skip_the_transcript(
    files: SessionFiles, bytes_read: list[int]
) -> None:
    """A file the original wrote appears in a store with an index: the listing recomputes
    its row and records it, and metadata reads after that take the count from that row."""
    files.save(Session(session_id="s0", messages=chat(2)))
    files.rebuild()  # an index exists
    _write_original(files, "s1")
    rows, problems = files.rows()
    assert sorted(row["message_count"] for row in rows) == [2, MESSAGES] and problems == []
    bytes_read.clear()
    session = files.load_metadata("s1")
    assert session is not None and session.is_partial and session.message_count == MESSAGES
    assert sum(bytes_read) < 16384
