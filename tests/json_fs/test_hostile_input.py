"""Hostile input to the Web UI JSON store: never hang, never empty the sidebar, never lose a byte.

Special files (FIFOs, sockets, device nodes) named like sessions or store files, copied session
files, transcripts of the wrong JSON type, huge files, over-long ids and failing system calls.
Every case runs under a time bound: a reader blocked on a FIFO is released (by opening the
FIFO's write end) and the test fails instead of hanging the run.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import stat
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hermes_sessions_json_fs import registry
from hermes_sessions_json_fs.session_files import SessionFiles

from hermes_sessions_core import (
    Locations,
    Session,
    SessionNotFound,
    SessionStore,
    SessionUnreadable,
    StorageError,
)
from hermes_sessions_core.errors import HermesSessionsError, InvalidSessionId
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.tombstones import parse_tombstones

from .conftest import Backend, chat, original_file

TIME_BOUND = 10.0
GOOD = "goodgood0001"


# ── fixtures and helpers ─────────────────────────────────────────────────────────────────────


class Local:
    """A store on a local folder, rebuilt on demand with other json_fs settings."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.locations = Locations.from_environment(
            base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
            claude_projects_dir=tmp_path / "none", default_workspace=tmp_path / "ws", environ={},
        )
        self.folder = self.locations.session_dir
        self.fifos: list[Path] = []

    def store(self, **json_fs_settings: Any) -> SessionStore:
        registry.forget_all()
        return SessionStore(
            self.locations,
            plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
            settings={"json_fs": json_fs_settings} if json_fs_settings else None,
        )

    def files(self, store: SessionStore) -> SessionFiles:
        return registry.session_files_for(store.context())

    def good_session(self, store: SessionStore) -> bytes:
        session = Session(session_id=GOOD, title="good", messages=chat(2))
        store.save(session)
        return (self.folder / f"{GOOD}.json").read_bytes()

    def mkfifo(self, name: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        self.fifos.append(path)
        return path

    def within(self, call: Callable[[], Any], seconds: float = TIME_BOUND) -> Any:
        return within(call, seconds, release=self.fifos)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    yield Local(tmp_path)
    registry.forget_all()


def within(call: Callable[[], Any], seconds: float = TIME_BOUND, release: Any = ()) -> Any:
    """``call()``'s result or error; fails the test if it is still running after ``seconds``.

    A thread blocked opening a FIFO for reading cannot be interrupted, but it returns once a
    writer opens the FIFO: after the bound, every FIFO in ``release`` is opened for writing
    (repeatedly, as the blocked call may move on to the next one) so the run can go on.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        deadline = time.monotonic() + 10
        while thread.is_alive() and time.monotonic() < deadline:
            for fifo in release:
                _open_write_end(Path(fifo))
            thread.join(0.05)
        pytest.fail(f"still running after {seconds:.0f} s: a blocking read hung")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _open_write_end(fifo: Path) -> None:
    try:
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return  # no reader waiting right now
    os.close(descriptor)


def _unix_socket(folder: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> socket.socket:
    """A listening AF_UNIX socket file ``folder/name`` (bound by a relative name, since socket
    paths are limited to about 100 characters)."""
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(name)
    server.listen(1)
    return server


def _mentions(problems: Any, text: str) -> bool:
    return any(text in f"{p.path} {p.message}" for p in problems)


def _row_ids(listing: Any) -> list[str]:
    return sorted(row["session_id"] for row in listing.rows)


class ReadCounter:
    """Counts bytes read through ``os.read``: how much of a file a call pulled into memory."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.total = 0
        self.largest = 0
        real_read = os.read

        def counting_read(descriptor: int, size: int) -> bytes:
            data = real_read(descriptor, size)
            self.total += len(data)
            self.largest = max(self.largest, len(data))
            return data

        monkeypatch.setattr(os, "read", counting_read)


def _sparse_file(path: Path, size: int, start: bytes) -> None:
    """A file of ``size`` bytes that starts with ``start`` (the rest a hole: fast to create,
    but every byte is still read by whoever reads it whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(start)
        handle.truncate(size)


# ── 1. special files never block a reader ─────────────────────────────────────────────────────


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_a_special_file_named_like_a_session_is_a_problem_and_never_hangs(local, kind, monkeypatch):
    """A FIFO, socket or device node named ``<id>.json``: the listing (and a rebuild of the
    index) lists every other session and reports this one; get, metadata-only get, the audit
    and recovery finish and name it; a save never replaces it."""
    store = local.store()
    local.good_session(store)
    store.close()
    special = local.folder / "specialfile1.json"
    if kind == "fifo":
        local.mkfifo(special.name)
    elif kind == "socket":
        _unix_socket(local.folder, special.name, monkeypatch)
    else:
        try:
            os.mknod(special, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("creating a device node needs CAP_MKNOD")
    (local.folder / "_index.json").unlink()  # the listing must read every file to rebuild
    store = local.store()
    listing = local.within(store.list_sessions)
    assert _row_ids(listing) == [GOOD]
    assert _mentions(listing.problems, "specialfile1.json")
    with pytest.raises(SessionUnreadable) as unreadable:
        local.within(lambda: store.get("specialfile1"))
    assert "specialfile1.json" in str(unreadable.value) and "regular file" in str(unreadable.value)
    with pytest.raises(SessionUnreadable):
        local.within(lambda: store.get("specialfile1", metadata_only=True))
    report = local.within(store.audit)
    assert any(f["session_id"] == "specialfile1" for f in report["reported"])
    local.within(store.recover_on_startup)
    replacement = Session(session_id="specialfile1", title="replacement", messages=chat(1))
    with pytest.raises(StorageError):
        local.within(lambda: store.save(replacement))
    assert not stat.S_ISREG(os.lstat(special).st_mode), "the special file was replaced"


@pytest.mark.parametrize(
    "store_file", ["_index.json", "_tombstones.json", f"_index.d/{GOOD}.json", f"{GOOD}.json.bak"]
)
def test_special_store_files_never_hang_and_never_empty_the_sidebar(local, store_file):
    """A FIFO in place of the index, a change file, the tombstones or a backup: listing,
    get, save, the audit, recovery and delete all finish, and the session still lists."""
    store = local.store()
    local.good_session(store)
    other = Session(session_id="othersession", title="other", messages=chat(3))
    store.save(other)
    store.close()
    target = local.folder / store_file
    if target.exists():
        target.unlink()
    local.mkfifo(store_file)
    store = local.store()
    listing = local.within(store.list_sessions)
    assert _row_ids(listing) == [GOOD, "othersession"]
    session = local.within(lambda: store.get(GOOD))
    assert len(session.messages) == 2
    session.messages.pop()  # a shrink: the backup path runs too
    local.within(session.save)
    local.within(store.audit)
    local.within(store.recover_on_startup)
    try:
        local.within(lambda: store.delete("othersession"))
    except StorageError as error:  # a FIFO where the tombstones live is refused, by name
        assert store_file in str(error)
        assert (local.folder / "othersession.json").exists()
    assert GOOD in _row_ids(local.within(store.list_sessions))


@pytest.mark.parametrize("backend", ["sftp"], indirect=True)
def test_a_fifo_on_an_sftp_server_never_hangs_the_store(backend: Backend, make_store):
    """Over SFTP the server opens what it is asked to: a FIFO must be recognised from its
    attributes first, or the server (and with it every later call) waits forever."""
    store = make_store()
    store.save(Session(session_id=GOOD, title="good", messages=chat(2)))
    store.close()
    fifo = Path(backend.root) / "specialfile1.json"
    os.mkfifo(fifo)
    os.unlink(Path(backend.root) / "_index.json")
    store = make_store()
    listing = within(store.list_sessions, release=[fifo])
    assert _row_ids(listing) == [GOOD]
    assert _mentions(listing.problems, "specialfile1.json")
    with pytest.raises(SessionUnreadable):
        within(lambda: store.get("specialfile1"), release=[fifo])


# ── 4. the file name is the session's id ──────────────────────────────────────────────────────


def test_a_copied_session_file_is_saved_under_its_own_name_only(local, caplog):
    """``<a>.json`` holding ``session_id: "b"`` (a copy of b's file) loads as session a: its
    saves write ``<a>.json`` (with the id corrected), never ``<b>.json``; the mismatch is
    logged once; both sessions list under their own ids."""
    store = local.store()
    original = Session(session_id="sessionbbbbb", title="b", messages=chat(4))
    store.save(original)
    b_bytes = (local.folder / "sessionbbbbb.json").read_bytes()
    (local.folder / "sessionaaaaa.json").write_bytes(b_bytes)
    store = local.store()
    caplog.set_level(logging.WARNING)
    copy = store.get("sessionaaaaa")
    assert copy.session_id == "sessionaaaaa"
    assert store.get("sessionaaaaa", metadata_only=True).session_id == "sessionaaaaa"
    copy.title = "the copy"
    copy.save()
    assert (local.folder / "sessionbbbbb.json").read_bytes() == b_bytes
    saved = json.loads((local.folder / "sessionaaaaa.json").read_bytes())
    assert saved["session_id"] == "sessionaaaaa" and saved["title"] == "the copy"
    assert len(saved["messages"]) == 4
    listing = store.list_sessions()
    assert {row["session_id"]: row["title"] for row in listing.rows} == {
        "sessionaaaaa": "the copy", "sessionbbbbb": "b"}
    mismatch_logs = [r for r in caplog.records if "sessionbbbbb" in r.getMessage()
                     and "sessionaaaaa" in r.getMessage()]
    assert len(mismatch_logs) == 1


def test_a_listing_of_a_copied_file_never_shows_the_inner_id(local):
    """A rebuild from files takes each row's id from the file name: no duplicate rows."""
    store = local.store()
    store.save(Session(session_id="sessionbbbbb", title="b", messages=chat(1)))
    store.close()
    (local.folder / "sessionccccc.json").write_bytes(
        (local.folder / "sessionbbbbb.json").read_bytes())
    (local.folder / "_index.json").unlink()
    listing = local.store().list_sessions()
    assert _row_ids(listing) == ["sessionbbbbb", "sessionccccc"]


# ── 5. a save never writes less than the file held without a backup ──────────────────────────


def _with_field(session_id: str, field: str, value: Any, count: int | None = 3) -> bytes:
    record = json.loads(original_file(session_id, chat(2)))
    record[field] = value
    if count is not None:
        record["message_count"] = count
    return json.dumps(record, indent=2).encode()


@pytest.mark.parametrize(
    ("field", "value", "count"),
    [
        ("messages", {"0": {"role": "user", "content": "kept as an object"}}, 1),
        ("messages", "a transcript pasted as text", 0),
        ("messages", 42, None),
        ("tool_calls", {"call": {"name": "search"}}, 2),
        ("tool_calls", "a string", 2),
        ("context_messages", {"summary": "compacted context"}, 2),
    ],
    ids=["messages-object", "messages-string-count-0", "messages-number", "tool_calls-object",
         "tool_calls-string", "context_messages-object"],
)
def test_a_value_the_load_could_not_keep_is_kept_aside_before_a_save(local, field, value, count):
    """A transcript field of the wrong JSON type loads as empty; the first save (a rename)
    first keeps the file's exact bytes aside, like an unparseable file (S2.18)."""
    store = local.store()
    local.folder.mkdir(parents=True)
    path = local.folder / "oddtypes0001.json"
    before = _with_field("oddtypes0001", field, value, count)
    path.write_bytes(before)
    session = store.get("oddtypes0001")
    session.title = "renamed"
    session.save()
    kept = [p for p in local.folder.iterdir() if p.name.startswith("oddtypes0001.json.")]
    assert [p.read_bytes() for p in kept] == [before], [p.name for p in kept]
    assert json.loads(path.read_bytes())["title"] == "renamed"
    session.title = "renamed again"
    session.save()  # the file is ours now: nothing more is kept
    assert len([p for p in local.folder.iterdir() if p.name.startswith("oddtypes0001.json.")]) == 1


def test_a_save_over_a_file_built_elsewhere_keeps_its_odd_transcript(local):
    """A session built in memory and saved over a file whose messages are an object (no
    loaded copy to remember it by) still keeps that file aside first."""
    store = local.store()
    local.folder.mkdir(parents=True)
    before = _with_field("oddtypes0002", "messages", {"a": {"role": "user"}}, 0)
    (local.folder / "oddtypes0002.json").write_bytes(before)
    store.save(Session(session_id="oddtypes0002", title="built in memory", messages=[]))
    kept = [p.read_bytes() for p in local.folder.iterdir()
            if p.name.startswith("oddtypes0002.json.")]
    assert kept == [before]


def test_dropping_tool_calls_keeps_a_backup(local):
    """A save that keeps every message but drops tool calls writes less than the file held:
    the previous version is backed up as ``<id>.json.bak`` (S2.17 applied to tool_calls)."""
    store = local.store()
    session = Session(session_id="toolcalls001", title="t", messages=chat(4),
                      tool_calls=[{"name": f"tool{i}"} for i in range(5)])
    store.save(session)
    loaded = local.store().get("toolcalls001")
    before = (local.folder / "toolcalls001.json").read_bytes()
    loaded.tool_calls.clear()
    loaded.save()
    assert (local.folder / "toolcalls001.json.bak").read_bytes() == before


# ── 7. huge files are judged by their size and first bytes ──────────────────────────────────


@pytest.mark.parametrize("megabytes", [64, 8])
def test_a_huge_junk_index_is_rebuilt_without_being_read(local, monkeypatch, megabytes):
    """Junk as ``_index.json`` (1 GB in the field): judged corrupt from its size (64 MB, over
    the cap) or its first byte (8 MB, not ``[``), rebuilt from the files; the listing reads
    under a megabyte."""
    store = local.store()
    local.good_session(store)
    store.save(Session(session_id="othersession", title="other", messages=chat(1)))
    store.close()
    _sparse_file(local.folder / "_index.json", megabytes << 20, b"junk")
    store = local.store()
    counter = ReadCounter(monkeypatch)
    listing = local.within(store.list_sessions)
    assert _row_ids(listing) == [GOOD, "othersession"]
    assert counter.total < 1 << 20, f"read {counter.total:,} bytes"
    rebuilt = json.loads((local.folder / "_index.json").read_bytes())
    assert sorted(row["session_id"] for row in rebuilt) == [GOOD, "othersession"]


def test_an_index_that_starts_like_one_but_is_too_big_is_rebuilt(local, monkeypatch):
    """``[`` then 64 MB: over the cap for two session files (the 16 MB floor), so it is
    judged from its size alone, never read, and the rebuild is correct."""
    store = local.store()
    local.good_session(store)
    store.close()
    _sparse_file(local.folder / "_index.json", 64 << 20, b"[\n  {")
    store = local.store()
    counter = ReadCounter(monkeypatch)
    listing = local.within(store.list_sessions)
    assert _row_ids(listing) == [GOOD]
    assert counter.total < 1 << 20, f"read {counter.total:,} bytes"
    store.close()
    assert os.path.getsize(local.folder / "_index.json") < 1 << 20


def test_the_index_cap_is_relative_to_the_number_of_session_files(local):
    """The rule: an index larger than max(floor, session files x bytes per session) is
    corrupt. A valid index over a lowered cap is rebuilt, under it kept."""
    store = local.store()
    for number in range(3):
        store.save(Session(session_id=f"capped{number:06d}", title="x" * 3000, messages=chat(1)))
    store.close()
    index_path = local.folder / "_index.json"
    valid = index_path.read_bytes()
    hand_edited = json.loads(valid)
    hand_edited[0]["title"] = "edited by hand"  # only a kept index shows this title
    index_path.write_bytes(json.dumps(hand_edited, indent=2).encode())
    size = index_path.stat().st_size
    store = local.store()
    files = local.files(store)
    limit = max(files.index.floor_bytes, 3 * files.index.bytes_per_session)
    assert files.index.size_limit(3) == limit
    files.index.floor_bytes = 1024
    files.index.bytes_per_session = size // 3 + 1  # just enough for three files
    assert "edited by hand" in [row["title"] for row in store.list_sessions().rows]
    files.index.bytes_per_session = size // 3 - 100  # now too big for three files
    titles = [row["title"] for row in store.list_sessions().rows]
    assert titles == ["x" * 3000] * 3, "the oversized index was rebuilt from the files"


def test_a_session_file_over_the_cap_is_a_problem_never_read_whole(local, monkeypatch):
    """With ``max_session_bytes`` lowered to 1 MB, a 3 MB session file is reported (size and
    cap named) and never read whole; metadata-only reads still work; nothing replaces it."""
    store = local.store(max_session_bytes=1 << 20)
    local.good_session(store)
    big = Session(session_id="bigsession01", title="big",
                  messages=[{"role": "user", "content": "x" * (3 << 20), "timestamp": 1.0}])
    (local.folder / "bigsession01.json").write_bytes(
        json.dumps(big.to_record(), indent=2).encode())
    before = (local.folder / "bigsession01.json").read_bytes()
    store = local.store(max_session_bytes=1 << 20)
    counter = ReadCounter(monkeypatch)
    listing = local.within(store.list_sessions)
    assert _row_ids(listing) == [GOOD]
    assert _mentions(listing.problems, "bigsession01.json")
    with pytest.raises(SessionUnreadable) as unreadable:
        store.get("bigsession01")
    assert "max_session_bytes" in str(unreadable.value)
    assert store.get("bigsession01", metadata_only=True).title == "big"
    assert counter.largest < 1 << 20, f"one read of {counter.largest:,} bytes"
    with pytest.raises(StorageError):
        store.save(Session(session_id="bigsession01", title="over it", messages=[]))
    assert (local.folder / "bigsession01.json").read_bytes() == before


@pytest.mark.parametrize("store_file", ["_tombstones.json", f"_index.d/{GOOD}.json"])
def test_huge_store_files_are_never_read_whole(local, monkeypatch, store_file):
    """A 64 MB tombstones file or change file (junk) is judged by its size: deletes, saves
    and listings go on, reading under a megabyte of it."""
    store = local.store(max_session_bytes=1 << 20)
    local.good_session(store)
    store.save(Session(session_id="othersession", title="other", messages=chat(1)))
    store = local.store(max_session_bytes=1 << 20)  # the first store folds its changes first
    _sparse_file(local.folder / store_file, 64 << 20, b"{")
    counter = ReadCounter(monkeypatch)
    assert _row_ids(local.within(store.list_sessions)) == [GOOD, "othersession"]
    local.within(lambda: store.delete("othersession"))
    assert _row_ids(local.within(store.list_sessions)) == [GOOD]
    assert counter.largest < 1 << 20, f"one read of {counter.largest:,} bytes"


# ── 9. ids and raw system errors ──────────────────────────────────────────────────────────────


LONG_ID = "a" * 10_000


@pytest.mark.parametrize("bad_id", [LONG_ID, "a" * 201, "../escape", "UPPER", "_index", ""])
def test_every_entry_point_refuses_a_bad_id_before_touching_storage(local, bad_id):
    """get, metadata-only get, save, delete, the transcript hook and the lock refuse an
    over-long or invalid id with the typed error (or None), and nothing is written."""
    store = local.store()
    files = local.files(store)
    with pytest.raises(SessionNotFound):
        store.get(bad_id)
    with pytest.raises(SessionNotFound):
        store.get(bad_id, metadata_only=True)
    assert files.load(bad_id) is None and files.load_metadata(bad_id) is None
    with pytest.raises(InvalidSessionId):
        store.delete(bad_id)
    with pytest.raises(InvalidSessionId):
        files.delete(bad_id)
    session = Session(title="x", messages=chat(1))
    session.__dict__["session_id"] = bad_id
    with pytest.raises(InvalidSessionId):
        files.save(session)
    with pytest.raises(InvalidSessionId):
        store.save(session)
    assert not local.folder.exists(), sorted(os.listdir(local.folder))


def test_an_id_of_exactly_the_cap_works_and_one_more_is_refused(local):
    """200 characters is a valid id end to end (save, list, delete); 201 is refused."""
    store = local.store()
    longest = "b" * 200
    store.save(Session(session_id=longest, title="longest", messages=chat(2)))
    assert _row_ids(store.list_sessions()) == [longest]
    assert store.delete(longest)
    with pytest.raises(InvalidSessionId):
        store.save(Session(session_id="b" * 201, title="too long", messages=chat(1)))


def test_index_rows_with_invalid_ids_never_reach_the_sidebar(local):
    """Rows in ``_index.json`` whose id is over-long or invalid are dropped even when the
    host's ``row_exists`` would keep rows without a file."""
    store = local.store()
    local.good_session(store)
    store.close()
    rows = json.loads((local.folder / "_index.json").read_bytes())
    for bad_id in (LONG_ID, "../escape", "UPPER"):
        rows.append(dict(rows[0], session_id=bad_id))
    (local.folder / "_index.json").write_bytes(json.dumps(rows, indent=2).encode())
    listing = local.store().list_sessions(row_exists=lambda session_id: True)
    assert _row_ids(listing) == [GOOD]


class FailingCalls:
    """Make one system call fail with ``error_number`` for paths whose name starts with
    ``prefix``; every other call runs as usual."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, call: str, error_number: int,
                 prefix: str) -> None:
        real = getattr(os, call)

        def failing(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, (str, os.PathLike)) and os.path.basename(
                os.fspath(path)
            ).startswith(prefix):
                raise OSError(error_number, os.strerror(error_number), os.fspath(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(os, call, failing)


ERRNOS = [errno.ENAMETOOLONG, errno.EACCES, errno.ENOSPC, errno.EROFS, errno.ELOOP, errno.EISDIR]


@pytest.mark.parametrize("error_number", ERRNOS, ids=errno.errorcode.get)
def test_a_failing_delete_raises_a_storage_error_and_keeps_the_session(
    local, monkeypatch, error_number
):
    """The file cannot be removed: a StorageError naming it, the file byte-identical, and
    no tombstone left behind for a session that still exists."""
    store = local.store()
    before = local.good_session(store)
    FailingCalls(monkeypatch, "unlink", error_number, GOOD)
    with pytest.raises(StorageError) as failed:
        store.delete(GOOD)
    assert f"{GOOD}.json" in str(failed.value)
    monkeypatch.undo()
    assert (local.folder / f"{GOOD}.json").read_bytes() == before
    tombstones = local.folder / "_tombstones.json"
    assert not tombstones.exists() or GOOD not in parse_tombstones(tombstones.read_bytes())
    assert _row_ids(local.store().list_sessions()) == [GOOD]


@pytest.mark.parametrize("error_number", ERRNOS, ids=errno.errorcode.get)
@pytest.mark.parametrize("call", ["open", "lstat", "replace", "scandir"])
def test_raw_system_errors_never_escape(local, monkeypatch, call, error_number):
    """Any of these errors on any session or store file, in get, save, delete or a listing,
    becomes a typed error naming the path (a listing: a problem), and the session file is
    byte-identical after a failed save."""
    store = local.store()
    before = local.good_session(store)
    store.save(Session(session_id="othersession", title="other", messages=chat(1)))
    store.close()
    store = local.store()
    session = store.get(GOOD)
    prefix = "" if call == "scandir" else GOOD if call != "lstat" else "_"
    FailingCalls(monkeypatch, call, error_number, prefix)
    for action in (
        lambda: store.get(GOOD, metadata_only=True),
        lambda: store.list_sessions(),
        lambda: _rename_and_save(session),
        lambda: store.delete("othersession"),
        lambda: store.close(),
    ):
        try:
            action()
        except HermesSessionsError as error:
            assert isinstance(error, (StorageError, SessionUnreadable, SessionNotFound)), error
        except OSError as error:
            pytest.fail(f"raw {type(error).__name__} escaped: {error}")
    monkeypatch.undo()
    current = (local.folder / f"{GOOD}.json").read_bytes()
    assert current == before or json.loads(current)["title"] == "renamed"


def _rename_and_save(session: Session) -> None:
    session.title = "renamed"
    session.save()


@pytest.mark.parametrize(
    ("entry", "make"),
    [
        ("_locks", "file"),
        ("_index.lock", "directory"),
        ("_tombstones.json.lock", "directory"),
        ("_index.d", "file"),
    ],
)
def test_a_damaged_store_entry_is_a_named_storage_error(local, entry, make):
    """A lock or change folder that is a file, a lock file that is a folder: saves and
    deletes fail with a StorageError naming the entry (never a raw OSError), and the
    listing still lists."""
    store = local.store()
    before = local.good_session(store)
    store.close()
    path = local.folder / entry
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    elif path.exists():
        path.unlink()
    path.mkdir() if make == "directory" else path.write_bytes(b"")
    store = local.store()
    session = store.get(GOOD)
    for action in (lambda: _rename_and_save(session), lambda: store.delete(GOOD)):
        try:
            action()
        except StorageError as error:
            assert entry in str(error), error
        except OSError as error:
            pytest.fail(f"raw {type(error).__name__} escaped: {error}")
    assert GOOD in _row_ids(store.list_sessions()) or not (local.folder / f"{GOOD}.json").exists()
    current = (local.folder / f"{GOOD}.json")
    assert not current.exists() or current.read_bytes() == before or json.loads(
        current.read_bytes())["title"] == "renamed"


def test_a_junk_writers_entry_never_blocks_a_save(local):
    """``_writers`` (crash markers) being a file only costs the marker: the save lands."""
    store = local.store()
    local.folder.mkdir(parents=True)
    (local.folder / "_writers").write_bytes(b"junk")
    local.good_session(store)
    assert json.loads((local.folder / f"{GOOD}.json").read_bytes())["title"] == "good"


# ── pathological data stays in its session ────────────────────────────────────────────────────


_DEEP = "[" * 100_000 + "]" * 100_000
_ODD_VALUES = {
    "list": [1, [2]],
    "object": {"a": {"b": 1}},
    "text": "zz",
    "huge-number": 1e308,
    "true": True,
    "big-int": 10**30,
}
_FIELDS = ["session_id", "title", "workspace", "profile", "active_stream_id", "project_id",
           "parent_session_id", "created_at", "updated_at", "pinned", "archived", "model",
           "message_count", "messages", "tool_calls", "pending_user_message", "composer_draft",
           "gateway_routing", "worktree_path", "input_tokens"]


def _assert_isolated(local: Local, store: SessionStore) -> None:
    """The good session lists; the odd one lists (in any profile, archived or not) or is a
    named problem; get is a Session or SessionUnreadable; a rename of a loaded copy saves;
    nothing raw escapes."""
    listing = local.within(lambda: store.list_sessions(
        all_profiles=True, include_archived=True, include_cron=True))
    ids = _row_ids(listing)
    assert GOOD in ids
    assert "oddsession01" in ids or _mentions(listing.problems, "oddsession01.json")
    try:
        session = local.within(lambda: store.get("oddsession01"))
    except SessionUnreadable as error:
        assert "oddsession01.json" in str(error)
        return
    assert session.session_id == "oddsession01"
    if not session.read_only:
        session.title = "renamed"
        local.within(session.save)


@pytest.mark.parametrize("value_kind", list(_ODD_VALUES))
@pytest.mark.parametrize("field", _FIELDS)
def test_a_value_of_any_json_type_in_a_session_file_stays_in_that_session(local, field, value_kind):
    store = local.store()
    local.good_session(store)
    record = json.loads(original_file("oddsession01", chat(2), title="odd"))
    record[field] = _ODD_VALUES[value_kind]
    (local.folder / "oddsession01.json").write_text(json.dumps(record, indent=2))
    _assert_isolated(local, local.store())


@pytest.mark.parametrize("value_kind", list(_ODD_VALUES))
@pytest.mark.parametrize("field", _FIELDS)
def test_a_value_of_any_json_type_in_an_index_row_stays_in_that_row(local, field, value_kind):
    store = local.store()
    local.good_session(store)
    store.save(Session(session_id="oddsession01", title="odd", messages=chat(2)))
    store.close()
    rows = json.loads((local.folder / "_index.json").read_bytes())
    for row in rows:
        if row["session_id"] == "oddsession01":
            row[field] = _ODD_VALUES[value_kind]
    (local.folder / "_index.json").write_text(json.dumps(rows, indent=2))
    store = local.store()
    listing = local.within(store.list_sessions)
    assert GOOD in _row_ids(listing)
    _assert_isolated(local, store)


@pytest.mark.parametrize(
    "shape",
    ["deep-title", "deep-message", "top-level-list", "top-level-number", "not-utf8", "empty",
     "huge-title"],
)
def test_malformed_session_files_stay_in_their_session(local, shape):
    """Deep nesting (100,000 levels), a non-object, bytes that are not UTF-8, an empty file,
    a 5 MB title: each stays in its own session."""
    store = local.store()
    local.good_session(store)
    record_text = original_file("oddsession01", chat(2)).decode()
    data = {
        "deep-title": record_text.replace('"title": "Untitled"', f'"title": {_DEEP}', 1),
        "deep-message": record_text.replace('"content": "message 0"', f'"content": {_DEEP}', 1),
        "top-level-list": "[1, 2, 3]",
        "top-level-number": "12",
        "not-utf8": None,
        "empty": "",
        "huge-title": record_text.replace('"title": "Untitled"',
                                          f'"title": "{"t" * (5 << 20)}"', 1),
    }[shape]
    raw = b'{"session_id": "\xff\xfe"}' if data is None else data.encode()
    (local.folder / "oddsession01.json").write_bytes(raw)
    _assert_isolated(local, local.store())


@pytest.mark.parametrize(
    "content",
    [b"{}", b"[1, 2]", b'{"a": "b"}', b'"text"', b"[" * 100_000, b'{"x": 1e999}'],
    ids=["object", "list-of-numbers", "object-of-text", "string", "deep", "infinity"],
)
def test_odd_index_and_tombstones_files_never_empty_the_sidebar(local, content):
    """Wrong JSON types or depth in ``_index.json`` and ``_tombstones.json``: the index is
    rebuilt, the tombstones count as empty, and the sidebar lists every session."""
    store = local.store()
    local.good_session(store)
    store.save(Session(session_id="othersession", title="other", messages=chat(1)))
    store.close()
    (local.folder / "_index.json").write_bytes(content)
    (local.folder / "_tombstones.json").write_bytes(content)
    store = local.store()
    assert _row_ids(local.within(store.list_sessions)) == [GOOD, "othersession"]
    local.within(lambda: store.delete("othersession"))
    assert _row_ids(local.within(store.list_sessions)) == [GOOD]
    store.close()
    rebuilt = json.loads((local.folder / "_index.json").read_bytes())
    assert [row["session_id"] for row in rebuilt] == [GOOD]


def test_a_huge_title_is_capped_in_rows_and_kept_whole_in_its_file(local):
    """A 5 MB title: the row (and so ``_index.json``) carries a capped title, the file and a
    full load keep every character."""
    store = local.store()
    local.good_session(store)
    title = "t" * (5 << 20)
    store.save(Session(session_id="hugetitle001", title=title, messages=chat(2)))
    store.close()
    (local.folder / "_index.json").unlink()
    store = local.store()
    rows = {row["session_id"]: row for row in store.list_sessions().rows}
    assert len(rows["hugetitle001"]["title"]) < 10_000
    store.close()
    assert os.path.getsize(local.folder / "_index.json") < 100_000
    assert local.store().get("hugetitle001").title == title
