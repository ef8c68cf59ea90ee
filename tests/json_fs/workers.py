"""Child processes for the crash and many-writer tests (and bench/soak_crash.py).

``python workers.py crash DIR SEED [--kill-at PHASE --nth N]`` saves sessions in a loop
(create, grow, deliberate shrink, delete), journaling each operation's intent before it starts
and its completion after it returns. With ``--kill-at`` it SIGKILLs itself at the Nth time it
reaches that phase of a save, so every phase is hit; without it the parent kills it at random.

``python workers.py writer DIR NAME SAVES SHARED`` saves its own sessions and a few shared ones
as fast as it can, for the many-writers test; it prints the last title it saved per session.

Messages are deterministic (``m<i>-…``), so any torn or mixed file is detectable.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from pathlib import Path

PHASES = ("temp-written", "replaced", "backup-written", "index-change", "fold-base",
          "delete-tombstoned", "delete-removed")


def message(index: int) -> dict:
    role = "user" if index % 2 == 0 else "assistant"
    return {"role": role, "content": f"m{index}-" + "x" * 700, "timestamp": 1700000000 + index}


def open_store(directory: Path):
    from hermes_sessions_core import Locations, SessionStore
    from hermes_sessions_core.manager import make_plugin_manager

    locations = Locations.from_environment(
        base_home=directory / "hermes", state_dir=directory / "webui",
        claude_projects_dir=directory / "none", default_workspace=directory, environ={},
    )
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False)
    return SessionStore(locations, plugin_manager=manager, cache_size=4)


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
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
