"""No message lost when several processes or hosts write one session (issue 12).

A save of a loaded copy is conditional on the version it was loaded as. Writers that only
appended are merged (common prefix, then both sides' new messages once each, in timestamp
order); a clear or truncate against changed messages, or a save of a copy whose session was
deleted since, raises ``SessionConflict`` and writes nothing.

The many-writer tests run ``workers.py appender`` processes (load, append one marked message,
save) and check the files against the writers' journals with ``workers.audit_appends``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import fsspec
import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Session, SessionConflict, SessionNotFound, SessionStore

from .crash_check import WORKER
from .workers import (
    appender_settings,
    audit_appends,
    create_seeded,
    open_store,
    read_local_records,
    shared_ids,
)

SHARED = 4


@pytest.fixture(autouse=True)
def _forget_open_folders():
    yield
    registry.forget_all()


def _start(directory: Path, name: str, rounds: int, url: str | None = None,
           options: dict[str, Any] | None = None, think: float = 0.02) -> subprocess.Popen[str]:
    """An appender process; ``think`` (up to 20 ms between append and save by default) lets
    other writers' saves land in between, so saves race and merge."""
    args = [sys.executable, str(WORKER), "appender", str(directory), name, str(rounds), str(SHARED),
            "--think", str(think)]
    if url is not None:
        args += ["--url", url, "--options", json.dumps(options)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(children: list[subprocess.Popen[str]]) -> dict[str, Any]:
    """The writers' summed counts, once each exited cleanly; conflict reasons by count."""
    totals: dict[str, Any] = {"saves": 0, "conflicts": 0, "merges": 0, "given_up": 0}
    reasons: Counter[str] = Counter()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        counts = json.loads(out.strip().splitlines()[-1])
        for key in list(totals):
            totals[key] += counts[key]
        reasons.update(counts["conflict_reasons"])
    totals["conflict_reasons"] = dict(reasons)
    return totals


def _seed_shared(store: SessionStore) -> None:
    for session_id in shared_ids(SHARED):
        create_seeded(store, session_id)
    store.close()
    registry.forget_all()


def _check(directory: Path, records: dict[str, dict], store: SessionStore, totals: dict[str, int],
           killed: frozenset[str] = frozenset(), context: str = "") -> None:
    """The journals' oracle (``audit_appends``), then a fresh store's listing of every file."""
    problems, counts = audit_appends(directory, records, killed)
    assert problems == [], f"{context}{counts}, writers saw {totals}:\n" + "\n".join(problems[:30])
    print(f"{context}{dict(counts)}, writers saw {totals}")  # shown with -s, for the record
    assert totals["given_up"] == 0, totals
    assert counts["journaled"] >= totals["saves"] > 0
    assert totals["merges"] > 0, f"the writers never raced, so nothing was merged: {totals}"
    rows = {row["session_id"]: row for row in store.list_sessions().rows}
    assert set(rows) == set(records)
    for session_id, record in records.items():
        assert rows[session_id]["message_count"] == len(record["messages"]), session_id


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_four_processes_appending_to_shared_sessions_lose_no_message(tmp_path):
    """Four processes × 60 load-append-save rounds, mostly on four shared sessions: every
    completed save's message is stored once, in timestamp order, and listed."""
    _seed_shared(open_store(tmp_path))
    totals = _finish([_start(tmp_path, f"w{i}", 60) for i in range(4)])
    records = read_local_records(tmp_path)
    assert set(records) == set(shared_ids(SHARED)) | {f"w{i}-own" for i in range(4)}
    _check(tmp_path, records, open_store(tmp_path), totals)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_hosts_appending_to_shared_sessions_on_s3_lose_no_message(s3_server, tmp_path):
    """Four processes, each its own s3fs client and store (separate hosts), × 12 rounds on one
    SeaweedFS bucket: conditional writes (If-Match/If-None-Match) lose no message."""
    url = f"s3://{s3_server.new_bucket()}/sessions"
    options = s3_server.storage_options()
    _seed_shared(open_store(tmp_path, url, appender_settings(options)))
    totals = _finish([_start(tmp_path, f"h{i}", 12, url, options, think=0.1) for i in range(4)])
    filesystem = fsspec.filesystem("s3", skip_instance_cache=True, **options)
    root = url.split("://", 1)[1]
    records = {
        Path(path).name[:-5]: json.loads(filesystem.cat_file(path))
        for path in filesystem.ls(root, detail=False)
        if path.endswith(".json") and not Path(path).name.startswith("_")
    }
    assert set(records) == set(shared_ids(SHARED)) | {f"h{i}-own" for i in range(4)}
    _check(tmp_path, records, open_store(tmp_path, url, appender_settings(options)), totals)


def _kill_once(directory: Path, name: str, rng: random.Random) -> None:
    """Start appender ``name``, let it save for a random moment once it began, SIGKILL it."""
    journal = directory / f"journal-{name}.log"
    victim = _start(directory, name, 100000)
    deadline = time.monotonic() + 30
    while (not journal.exists() or journal.stat().st_size == 0) and victim.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    if victim.poll() is None:
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(victim.pid, signal.SIGKILL)
    _, err = victim.communicate()
    assert victim.returncode == -signal.SIGKILL, f"{name} ended by itself: {err}"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_writer_killed_at_random_loses_no_completed_save_of_the_others(tmp_path):
    """Three writers run while a fourth is SIGKILLed at random moments and restarted under a
    new name: every completed save is stored once; a killed writer's in-flight message is
    stored at most once; a killed writer leaves no session locked for the others."""
    seed = int(os.environ.get("HERMES_WRITERS_SEED", "20261206"))
    rng = random.Random(seed)
    _seed_shared(open_store(tmp_path))
    steady = [_start(tmp_path, f"w{i}", 250) for i in range(3)]
    killed: list[str] = []
    while len(killed) < 4 or (len(killed) < 12 and any(c.poll() is None for c in steady)):
        killed.append(f"k{len(killed)}")
        _kill_once(tmp_path, killed[-1], rng)
    totals = _finish(steady)
    records = read_local_records(tmp_path)
    store = open_store(tmp_path)
    # As a restarted host does (and tests/json_fs/crash_check.py): a kill between a file's
    # write and its index change leaves a stale row for recovery to fix, never a lost message.
    store.recover_on_startup()
    assert read_local_records(tmp_path) == records, "recovery changed a session file"
    _check(tmp_path, records, store, totals, frozenset(killed), f"seed {seed}, {len(killed)} kills, ")


# ── two copies in one process: clear, truncate, fields, delete ──────────────────────────


class Copies:
    """Two store objects (two caches, so two loaded copies) on one folder, and raw reads of
    what storage holds, independent of the plugin."""

    def __init__(self, tmp_path: Path, url: str | None, options: dict[str, Any] | None) -> None:
        settings = appender_settings(options)
        self.a = open_store(tmp_path, url, settings)
        self.b = open_store(tmp_path, url, settings)
        if url is None:
            self.filesystem = fsspec.filesystem("file")
            self.root = str(tmp_path / "webui" / "sessions")
        else:
            self.filesystem = fsspec.filesystem("s3", skip_instance_cache=True, **options)
            self.root = url.split("://", 1)[1]

    def created(self, count: int = 3) -> str:
        """A session made by ``a.new_session()`` with ``count`` messages, saved, not cached."""
        session = self.a.new_session()
        session.messages.extend(_message(f"base {i}") for i in range(count))
        session.save()
        self.a.forget(session.session_id)
        return session.session_id

    def stored(self, session_id: str) -> dict[str, Any] | None:
        self.filesystem.invalidate_cache()
        try:
            return json.loads(self.filesystem.cat_file(f"{self.root}/{session_id}.json"))
        except FileNotFoundError:
            return None

    def stored_contents(self, session_id: str) -> list[str]:
        record = self.stored(session_id)
        assert record is not None, f"{session_id} is not stored"
        assert record["message_count"] == len(record["messages"])
        return [m["content"] for m in record["messages"]]


@pytest.fixture(params=["local", "s3"])
def copies(request, tmp_path) -> Copies:
    if request.param == "local":
        return Copies(tmp_path, None, None)
    server = request.getfixturevalue("s3_server")
    return Copies(tmp_path, f"s3://{server.new_bucket()}/{uuid.uuid4().hex}", server.storage_options())


_ticks = itertools.count()


def _message(content: str) -> dict[str, Any]:
    """A message stamped later than every one made before it in this run."""
    return {"role": "user", "content": content, "timestamp": time.time() + next(_ticks) * 1e-3}


def _contents(session: Session) -> list[str]:
    return [m["content"] for m in session.messages]


def _shrink(session: Session, how: str) -> None:
    session.declare_shrink()
    if how == "clear":
        session.messages.clear()
    else:
        del session.messages[1:]


@pytest.mark.parametrize("how", ["clear", "truncate"])
def test_shrink_of_a_stale_copy_is_refused_and_the_append_kept(copies, how):
    """A loads, B loads, B appends and saves, A clears (or truncates) and saves: A's save
    raises SessionConflict, writes nothing and leaves A's copy as it was; after a fresh load
    A's shrink saves."""
    a, b = copies.a, copies.b
    session_id = copies.created()
    copy_a, copy_b = a.get(session_id), b.get(session_id)
    copy_b.messages.append(_message("from b"))
    copy_b.save()
    _shrink(copy_a, how)
    kept = list(copy_a.messages)
    with pytest.raises(SessionConflict) as raised:
        copy_a.save()
    assert raised.value.session_id == session_id and raised.value.reason
    assert raised.value.loaded_version != raised.value.current_version
    assert copies.stored_contents(session_id) == ["base 0", "base 1", "base 2", "from b"]
    assert copy_a.messages == kept
    a.forget(session_id)
    again = a.get(session_id)
    _shrink(again, how)
    again.save()
    assert copies.stored_contents(session_id) == ([] if how == "clear" else ["base 0"])


@pytest.mark.parametrize("how", ["clear", "truncate"])
def test_append_to_a_stale_copy_never_brings_shrunk_messages_back(copies, how):
    """A clears (or truncates) and saves first; B's append to its older copy raises
    SessionConflict and the stored session stays shrunk; after a fresh load B's append saves
    onto the shrunk session."""
    a, b = copies.a, copies.b
    session_id = copies.created()
    copy_a, copy_b = a.get(session_id), b.get(session_id)
    _shrink(copy_a, how)
    copy_a.save()
    copy_b.messages.append(_message("from b"))
    with pytest.raises(SessionConflict):
        copy_b.save()
    shrunk = [] if how == "clear" else ["base 0"]
    assert copies.stored_contents(session_id) == shrunk
    assert _contents(copy_b) == ["base 0", "base 1", "base 2", "from b"]
    b.forget(session_id)
    again = b.get(session_id)
    again.messages.append(_message("from b again"))
    again.save()
    assert copies.stored_contents(session_id) == [*shrunk, "from b again"]


def test_field_change_on_a_stale_copy_merges_with_appended_messages(copies):
    """B appends and archives; A, loaded before, renames and pins: one save merges both, per
    field; A's copy then holds B's message, and saving it again keeps B's change."""
    a, b = copies.a, copies.b
    session_id = copies.created()
    copy_a, copy_b = a.get(session_id), b.get(session_id)
    copy_b.messages.append(_message("from b"))
    copy_b.archived = True
    copy_b.save()
    copy_a.title = "renamed by a"
    copy_a.pinned = True
    copy_a.save()
    stored = copies.stored(session_id)
    assert copies.stored_contents(session_id) == ["base 0", "base 1", "base 2", "from b"]
    assert (stored["title"], stored["pinned"], stored["archived"]) == ("renamed by a", True, True)
    assert _contents(copy_a) == copies.stored_contents(session_id)
    copy_a.save()  # the merged copy is now current: a plain re-save must not undo B's field
    stored = copies.stored(session_id)
    assert (stored["title"], stored["pinned"], stored["archived"]) == ("renamed by a", True, True)
    assert copies.stored_contents(session_id) == ["base 0", "base 1", "base 2", "from b"]


def test_appends_on_both_copies_merge_in_timestamp_order(copies):
    """A and B each append to the same loaded version; both messages are stored once, in
    timestamp order, and A's copy holds the merged list."""
    a, b = copies.a, copies.b
    session_id = copies.created()
    copy_a, copy_b = a.get(session_id), b.get(session_id)
    copy_a.messages.append(_message("from a"))  # older than b's, saved after it
    copy_b.messages.append(_message("from b"))
    copy_b.save()
    copy_a.save()
    expected = ["base 0", "base 1", "base 2", "from a", "from b"]
    assert copies.stored_contents(session_id) == expected
    assert _contents(copy_a) == expected


@pytest.mark.parametrize("change", ["append", "rename"])
def test_a_stale_copy_of_a_deleted_session_is_not_resurrected(copies, change):
    """B deletes the session A had loaded; A's save raises SessionConflict and no file
    comes back."""
    a, b = copies.a, copies.b
    session_id = copies.created()
    copy_a = a.get(session_id)
    assert b.delete(session_id)
    if change == "append":
        copy_a.messages.append(_message("from a"))
    else:
        copy_a.title = "renamed by a"
    with pytest.raises(SessionConflict) as raised:
        copy_a.save()
    assert raised.value.session_id == session_id
    assert copies.stored(session_id) is None
    with pytest.raises(SessionNotFound):
        b.get(session_id)
    rows = [r["session_id"] for r in b.list_sessions().rows]
    assert session_id not in rows
