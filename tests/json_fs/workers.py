"""Child processes for the crash and many-writer tests (and bench/soak_crash.py).

``python workers.py crash DIR SEED [--kill-at PHASE --nth N]`` saves sessions in a loop
(create, grow, deliberate shrink, delete), journaling each operation's intent before it starts
and its completion after it returns. With ``--kill-at`` it SIGKILLs itself at the Nth time it
reaches that phase of a save, so every phase is hit; without it the parent kills it at random.

``python workers.py writer DIR NAME SAVES SHARED`` saves its own sessions and a few shared ones
as fast as it can, for the many-writers test; it prints the last title it saved per session.

``python workers.py appender DIR NAME ROUNDS SHARED [--url URL --options JSON] [--think SECONDS]``
loads a session through its own store, appends one message marked
``NAME:round`` and saves, each round, on the shared sessions (``shared-00``…, created by the
parent) or its own ``NAME-own``; it journals each completed save in ``DIR/journal-NAME.log``, so
:func:`audit_appends` can tell which messages must be stored (issue 12). With ``--url`` the
store is on that URL, in multi-writer mode, as another host's would be; ``--think`` waits up to
that long between the append and the save (a reply being streamed), so other writers' saves
land in between. It also runs on a library from before conditional saves (the bench's
reference), which never raises ``SessionConflict``.

Messages are deterministic (``m<i>-…``), so any torn or mixed file is detectable.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

PHASES = ("temp-written", "replaced", "backup-written", "index-change", "fold-base",
          "delete-tombstoned", "delete-removed")


def message(index: int) -> dict:
    role = "user" if index % 2 == 0 else "assistant"
    return {"role": role, "content": f"m{index}-" + "x" * 700, "timestamp": 1700000000 + index}


def open_store(directory: Path, url: str | None = None, settings: dict | None = None):
    """A json_fs-only store under ``directory``, on its local folder unless ``url`` is given."""
    from hermes_sessions_core import Locations, SessionStore
    from hermes_sessions_core.manager import make_plugin_manager

    locations = Locations.from_environment(
        base_home=directory / "hermes", state_dir=directory / "webui", session_url=url,
        claude_projects_dir=directory / "none", default_workspace=directory, environ={},
    )
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    return SessionStore(locations, plugin_manager=manager, cache_size=4, settings=settings)


def install_kill_point(phase: str, nth: int) -> None:
    """SIGKILL this process the ``nth`` time ``phase`` is reached."""
    from hermes_sessions_json_fs import index, session_files, storage

    hits = {"count": 0}

    def reached() -> None:
        hits["count"] += 1
        if hits["count"] >= nth:
            os.kill(os.getpid(), signal.SIGKILL)

    real_replace = os.replace

    def replace(src, dst):
        if phase == "temp-written":
            reached()
        real_replace(src, dst)
        if phase == "replaced":
            reached()
        if phase == "backup-written" and str(dst).endswith(".bak"):
            reached()

    storage.os.replace = replace  # type: ignore[attr-defined]
    if phase == "index-change":
        real_change = index.SidebarIndex._write_change

        def write_change(self, *args, **kwargs):
            reached()
            return real_change(self, *args, **kwargs)

        index.SidebarIndex._write_change = write_change
    if phase == "fold-base":
        real_base = index.SidebarIndex._write_base

        def write_base(self, *args, **kwargs):
            written = real_base(self, *args, **kwargs)
            reached()
            return written

        index.SidebarIndex._write_base = write_base
        index._MIN_CHANGES_BEFORE_FOLD = 2
    if phase == "delete-tombstoned":
        # A delete writes its tombstone first, then removes files: die before the first removal.
        real_file_remove = storage.LocalFolder.remove

        def remove_file(self, name):
            reached()
            return real_file_remove(self, name)

        storage.LocalFolder.remove = remove_file
    if phase == "delete-removed":
        real_remove = index.SidebarIndex.remove

        def remove(self, session_id):
            reached()
            return real_remove(self, session_id)

        index.SidebarIndex.remove = remove
    del session_files


class Journal:
    def __init__(self, path: Path) -> None:
        self.handle = open(path, "a", encoding="utf-8")

    def write(self, **entry) -> None:
        self.handle.write(json.dumps(entry) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())


def crash_loop(directory: Path, seed: int) -> None:
    from hermes_sessions_core import Session, SessionNotFound

    rng = random.Random(seed)
    store = open_store(directory)
    journal = Journal(directory / "journal.log")
    sessions_dir = directory / "webui" / "sessions"
    store.list_sessions()  # builds the index base, so later saves fold into it
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        existing = sorted(p.name[:-5] for p in sessions_dir.glob("*.json") if not p.name.startswith("_")) \
            if sessions_dir.exists() else []
        roll = rng.random()
        if not existing or roll < 0.2:
            session_id = f"s{seed:04d}{step:06d}"[:20]
            count = rng.randint(1, 30)
            journal.write(phase="begin", op="create", id=session_id, count=count)
            session = Session(session_id=session_id, title=f"t{step}",
                              messages=[message(i) for i in range(count)])
            store.save(session)
            journal.write(phase="done", op="create", id=session_id, count=count)
            continue
        session_id = rng.choice(existing)
        try:
            session = store.get(session_id)
        except SessionNotFound:
            continue
        current = len(session.messages)
        if roll < 0.65:
            count = current + rng.randint(1, 40)
            journal.write(phase="begin", op="grow", id=session_id, count=count)
            session.messages.extend(message(i) for i in range(current, count))
            session.save()
            journal.write(phase="done", op="grow", id=session_id, count=count)
        elif roll < 0.85 and current > 1:
            count = rng.randint(1, current - 1)
            journal.write(phase="begin", op="shrink", id=session_id, count=count)
            session.declare_shrink()
            del session.messages[count:]
            session.save()
            journal.write(phase="done", op="shrink", id=session_id, count=count)
        elif roll >= 0.85:
            journal.write(phase="begin", op="delete", id=session_id, count=0)
            store.delete(session_id)
            journal.write(phase="done", op="delete", id=session_id, count=0)


def writer_loop(directory: Path, name: str, saves: int, shared: int) -> None:
    """Save own sessions and shared ones; print the final title saved per session."""
    from hermes_sessions_core import Session

    store = open_store(directory)
    rng = random.Random(name)
    last: dict[str, str] = {}
    own = [f"{name}-{i:03d}" for i in range(10)]
    common = [f"shared-{i:02d}" for i in range(shared)]
    counts: dict[str, int] = {}
    for step in range(saves):
        session_id = rng.choice(common) if common and rng.random() < 0.3 else rng.choice(own)
        counts[session_id] = counts.get(session_id, 0) + 1
        title = f"{name}:{step}"
        session = Session(session_id=session_id, title=title,
                          messages=[message(i) for i in range(counts[session_id] % 7 + 1)])
        store.save(session)
        last[session_id] = title
    store.close()
    print(json.dumps(last), flush=True)


SHARE_OF_SHARED = 0.8
MAX_ATTEMPTS = 8


def shared_ids(count: int) -> list[str]:
    return [f"shared-{i:02d}" for i in range(count)]


def seed_message(session_id: str) -> dict:
    """The one message every appender session starts with (the earliest timestamp)."""
    return {"role": "assistant", "content": f"seed {session_id}", "timestamp": time.time()}


def create_seeded(store, session_id: str) -> None:
    """Create ``session_id`` with its seed message (before any appender uses it)."""
    from hermes_sessions_core import Session

    store.save(Session(session_id=session_id, title=session_id, messages=[seed_message(session_id)]))


def appender_settings(options: dict | None) -> dict:
    if options is None:
        return {}
    return {"json_fs": {"storage_options": options, "multi_writer": True}}


def appender_loop(directory: Path, name: str, rounds: int, shared: int, *, url: str | None = None,
                  options: dict | None = None, think: float = 0.0) -> dict[str, Any]:
    """Load, append one marked message, save, ``rounds`` times; the counts it saw.

    A save refused with ``SessionConflict`` is retried on a fresh load (the refused save wrote
    nothing), at most ``MAX_ATTEMPTS`` times; a round that still fails is journaled as given
    up and counted, never dropped silently.
    """
    from hermes_sessions_core import SessionNotFound

    try:
        from hermes_sessions_core import SessionConflict
    except ImportError:  # a library from before conditional saves: nothing is ever refused
        SessionConflict = _NeverRaised  # noqa: N806

    store = open_store(directory, url, appender_settings(options))
    journal = Journal(directory / f"journal-{name}.log")
    rng = random.Random(name)
    own = f"{name}-own"
    try:
        store.get(own)
    except SessionNotFound:
        create_seeded(store, own)
    common = shared_ids(shared)
    counts: dict[str, Any] = {"saves": 0, "conflicts": 0, "merges": 0, "given_up": 0}
    reasons: Counter[str] = Counter()
    started = time.perf_counter()
    for number in range(rounds):
        session_id = rng.choice(common) if common and rng.random() < SHARE_OF_SHARED else own
        marker = f"{name}:{number}"
        journal.write(phase="begin", id=session_id, marker=marker)
        for _attempt in range(MAX_ATTEMPTS):
            session = store.get(session_id)
            session.messages.append({"role": "user", "content": marker, "timestamp": time.time()})
            before = len(session.messages)
            if think:
                time.sleep(rng.uniform(0.0, think))
            try:
                session.save()
            except SessionConflict as conflict:
                counts["conflicts"] += 1
                reasons[conflict.reason] += 1
                store.forget(session_id)  # the refused copy still holds our message: drop it
                continue
            counts["saves"] += 1
            if len(session.messages) > before:
                counts["merges"] += 1  # the save brought in other writers' messages
            journal.write(phase="done", id=session_id, marker=marker)
            break
        else:
            counts["given_up"] += 1
            journal.write(phase="given-up", id=session_id, marker=marker)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    counts["conflict_reasons"] = dict(reasons)
    store.close()
    return counts


class _NeverRaised(Exception):
    reason = ""


def audit_appends(directory: Path, records: dict[str, dict], killed: frozenset[str] = frozenset()
                  ) -> tuple[list[str], Counter[str]]:
    """Check the stored ``records`` (id -> parsed file) against the appenders' journals.

    Every journaled save's marker is in its session exactly once; no marker is anywhere twice;
    a marker never journaled as done is only the in-flight round of a ``killed`` writer (which
    may or may not have landed); given-up rounds are absent; every file keeps its seed first,
    its messages in timestamp order and a ``message_count`` that matches. Returns the problems
    and counts (``journaled``, ``lost``, ``duplicated``, ``unexpected``, ``in_flight_landed``).
    """
    done: dict[str, str] = {}
    absent: dict[str, str] = {}
    in_flight: dict[str, tuple[str, str]] = {}  # writer -> (marker, id) begun, not finished
    for path in sorted(directory.glob("journal-*.log")):
        writer = path.name[len("journal-"):-len(".log")]
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a killed writer's last line may be torn
            if entry["phase"] == "begin":
                in_flight[writer] = (entry["marker"], entry["id"])
            else:
                (done if entry["phase"] == "done" else absent)[entry["marker"]] = entry["id"]
                in_flight.pop(writer, None)
    allowed = {marker: sid for writer, (marker, sid) in in_flight.items() if writer in killed}
    problems: list[str] = []
    counts: Counter[str] = Counter(journaled=len(done))
    found: dict[str, list[str]] = {}
    for session_id, record in sorted(records.items()):
        messages = record.get("messages") or []
        if record.get("message_count") != len(messages):
            problems.append(f"{session_id}: message_count {record.get('message_count')} "
                            f"but {len(messages)} messages")
        if not messages or messages[0].get("content") != f"seed {session_id}":
            problems.append(f"{session_id}: its seed message is not first")
        stamps = [m.get("timestamp") for m in messages]
        disorder = [i for i in range(1, len(stamps)) if stamps[i] < stamps[i - 1]]
        if disorder:
            problems.append(f"{session_id}: message {disorder[0]} is older than the one before it")
        for item in messages:
            content = str(item.get("content"))
            if not content.startswith("seed "):
                found.setdefault(content, []).append(session_id)
    for marker, session_id in sorted(done.items()):
        where = found.get(marker, [])
        if session_id not in where:
            counts["lost"] += 1
            problems.append(f"lost: {marker} was saved into {session_id} but is not there")
    for marker, where in sorted(found.items()):
        if len(where) > 1:
            counts["duplicated"] += 1
            problems.append(f"duplicated: {marker} is stored {len(where)} times ({where})")
        if marker in done:
            if where[0] != done[marker]:
                problems.append(f"misplaced: {marker} was saved into {done[marker]}, found in {where}")
        elif marker in allowed and allowed[marker] in where:
            counts["in_flight_landed"] += 1
        else:
            counts["unexpected"] += 1
            reason = "given up" if marker in absent else "never journaled as saved"
            problems.append(f"unexpected: {marker} ({reason}) is stored in {where}")
    return problems, counts


def read_local_records(directory: Path) -> dict[str, dict]:
    sessions = directory / "webui" / "sessions"
    return {p.name[:-5]: json.loads(p.read_bytes()) for p in sessions.glob("*.json")
            if not p.name.startswith("_")}


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def main(argv: list[str]) -> None:
    mode = argv[0]
    directory = Path(argv[1])
    if mode == "crash":
        seed = int(argv[2])
        if "--kill-at" in argv:
            install_kill_point(argv[argv.index("--kill-at") + 1], int(argv[argv.index("--nth") + 1]))
        crash_loop(directory, seed)
    elif mode == "writer":
        writer_loop(directory, argv[2], int(argv[3]), int(argv[4]))
    elif mode == "appender":
        options = _option(argv, "--options")
        counts = appender_loop(directory, argv[2], int(argv[3]), int(argv[4]),
                               url=_option(argv, "--url"),
                               options=json.loads(options) if options is not None else None,
                               think=float(_option(argv, "--think") or 0))
        print(json.dumps(counts), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
