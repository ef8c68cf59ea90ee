"""Checks run after a writer was SIGKILLed: every session is its old or its new self."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

WORKER = Path(__file__).with_name("workers.py")
ABSENT = "absent"


def expectations(journal: Path) -> dict[str, set[object]]:
    """Per id, the states the file may be in: after the last completed op, or the in-flight one."""
    done: dict[str, object] = {}
    pending: dict[str, object] = {}
    if not journal.exists():
        return {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the journal line itself may be torn by the kill
        if entry["phase"] == "observed":
            # What a verifier saw after a kill settles any operation that was in flight.
            done[entry["id"]] = entry["state"]
            pending.pop(entry["id"], None)
            continue
        state: object = ABSENT if entry["op"] == "delete" else entry["count"]
        if entry["phase"] == "begin":
            pending[entry["id"]] = state
        else:
            done[entry["id"]] = state
            pending.pop(entry["id"], None)
    allowed: dict[str, set[object]] = {}
    for session_id in set(done) | set(pending):
        states: set[object] = set()
        states.add(done.get(session_id, ABSENT))
        if session_id in pending:
            states.add(pending[session_id])
        allowed[session_id] = states
    return allowed


def file_state(path: Path) -> tuple[object, str | None]:
    """The message count of a session file, or an error if it is torn or mixed."""
    if not path.exists():
        return ABSENT, None
    try:
        record = json.loads(path.read_bytes())
    except ValueError as error:
        return None, f"{path.name} does not parse: {error}"
    messages = record.get("messages")
    if not isinstance(messages, list):
        return None, f"{path.name} has no message list"
    for index, item in enumerate(messages):
        if not str(item.get("content", "")).startswith(f"m{index}-"):
            return None, f"{path.name} message {index} is not the one written there"
    if record.get("message_count") != len(messages):
        return None, f"{path.name} message_count disagrees with its messages"
    return len(messages), None


def verify(directory: Path) -> list[str]:
    """Every file old-or-new, then recovery and a rebuilt sidebar that matches the files."""
    sys.path.insert(0, str(WORKER.parent))
    import workers

    problems: list[str] = []
    sessions = directory / "webui" / "sessions"
    allowed = expectations(directory / "journal.log")
    on_disk = {p.name[:-5] for p in sessions.glob("*.json") if not p.name.startswith("_")} \
        if sessions.exists() else set()
    for unknown in sorted(on_disk - set(allowed)):
        problems.append(f"{unknown}.json exists but was never written")
    states: dict[str, object] = {}
    for session_id, options in sorted(allowed.items()):
        state, error = file_state(sessions / f"{session_id}.json")
        if error:
            problems.append(error)
            continue
        states[session_id] = state
        if state not in options:
            problems.append(f"{session_id}: found {state}, expected one of {sorted(map(str, options))}")
    store = workers.open_store(directory)
    store.recover_on_startup()
    for session_id, before in states.items():
        after, error = file_state(sessions / f"{session_id}.json")
        if error or after != before:
            problems.append(f"{session_id}: recovery changed {before} into {after} {error or ''}")
    rows = {row["session_id"]: row for row in store.list_sessions(include_archived=True).rows}
    present = {sid for sid, state in states.items() if state != ABSENT}
    if set(rows) != present:
        problems.append(f"sidebar {sorted(set(rows) ^ present)} disagrees with the files")
    for session_id in present & set(rows):
        if rows[session_id]["message_count"] != states[session_id]:
            problems.append(f"{session_id}: sidebar says {rows[session_id]['message_count']} "
                            f"messages, file has {states[session_id]}")
    store.close()
    from hermes_sessions_json_fs import registry

    registry.forget_all()
    if not problems:
        with open(directory / "journal.log", "a", encoding="utf-8") as journal:
            for session_id, state in states.items():
                journal.write(json.dumps({"phase": "observed", "id": session_id, "state": state}) + "\n")
    return problems


def run_and_kill(directory: Path, seed: int, *, phase: str | None = None, nth: int = 1,
                 rng: random.Random | None = None, timeout: float = 10.0) -> str:
    """Start a crash worker and SIGKILL it (or let it kill itself at ``phase``)."""
    args = [sys.executable, str(WORKER), "crash", str(directory), str(seed)]
    if phase:
        args += ["--kill-at", phase, "--nth", str(nth)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    ready = child.stdout.readline()
    if "ready" not in ready:
        child.kill()
        raise RuntimeError(f"worker did not start: {child.stderr.read() if child.stderr else ''}")
    if phase:
        try:
            child.wait(timeout=timeout)
            return "self-kill" if child.returncode == -signal.SIGKILL else f"exit {child.returncode}"
        except subprocess.TimeoutExpired:
            pass
    else:
        time.sleep((rng or random).uniform(0.0, 0.25))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    return "killed"
