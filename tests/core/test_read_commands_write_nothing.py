"""Issue 13, finding 12: commands that read write nothing the user did not ask for.

Each command runs as a real process over a Hermes home holding every built-in source's data:
Web UI sessions (one with a turn interrupted long ago) with a current ``_index.json``, the
agent's ``state.db`` and Claude Code transcripts. Afterwards every file and folder of the home,
the Claude folder, HOME and the working directory is as it was: same names, modes, sizes,
times and bytes. The only files allowed to appear are SQLite's own ``-wal``/``-shm`` beside
the agent's WAL database, which any reader of such a database creates (docs/hostile-input.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.testing import chat, original_record
from hermes_sessions_core.testing.samples import encode_original

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
#: SQLite's shared-memory and WAL files of the agent's own database: any reader of a WAL database
#: leaves them (the fixture opens it once, as the agent or any earlier reader would have), and
#: SQLite changes the shared memory on every read.
SQLITE_SIDECARS = ("state.db-wal", "state.db-shm")
AGENT_SESSION = "20261123_212026_e3f24c"  # a session of tests/fixtures/agent_state_db/real_small.db


def _claude_id(path: Path) -> str:
    """S4.3: ``claude_code_`` and 24 hex digits of the SHA-256 of the resolved path."""
    return "claude_code_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Any]:
    """A home with data of every built-in source, its sidebar index already built."""
    home = tmp_path / "hermes"
    sessions = home / "webui" / "sessions"
    sessions.mkdir(parents=True)
    shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", home / "state.db")
    with closing(sqlite3.connect(f"file:{home / 'state.db'}?mode=ro", uri=True)) as agent_db:
        agent_db.execute("SELECT count(*) FROM sessions").fetchone()  # as any reader leaves it
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude_code", claude, ignore=shutil.ignore_patterns("*.md"))
    (sessions / "websess00001.json").write_bytes(
        encode_original(original_record("websess00001", chat(4), title="Plain chat")))
    (sessions / "pending00001.json").write_bytes(encode_original(original_record(
        "pending00001", chat(2), title="Interrupted long ago", pending_user_message="still there?",
        active_stream_id="stream-gone", pending_started_at=1700000000.0)))
    locations = Locations.from_environment(
        base_home=home, state_dir=home / "webui", claude_projects_dir=claude, environ={})
    manager = make_plugin_manager(builtins=["json_fs"], entry_points=False, environ={})
    SessionStore(locations, plugin_manager=manager).rebuild_index()
    registry.forget_all()
    assert (sessions / "_index.json").is_file()
    transcript = next(claude.glob("-path-to-Demo/*.jsonl"))
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HERMES_", "CLAUDE_"))}
    env.update(HOME=str(user_home), HERMES_HOME=str(home),
               HERMES_WEBUI_CLAUDE_PROJECTS_DIR=str(claude))
    return {"root": tmp_path, "env": env, "claude_id": _claude_id(transcript)}


def _snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root``: kind, mode, size, mtime and, for files, a digest."""
    found: dict[str, tuple[Any, ...]] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if path.name in SQLITE_SIDECARS:
            continue
        info = os.lstat(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        found[relative] = (info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return found


def _changes(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> list[str]:
    return sorted(
        [f"new {name}" for name in after.keys() - before.keys()]
        + [f"gone {name}" for name in before.keys() - after.keys()]
        + [f"changed {name}" for name in before.keys() & after.keys()
           if before[name] != after[name]]
    )


COMMANDS = {
    "list --json": ["list", "--json"],
    "list (table)": ["list", "--all-profiles", "--archived"],
    "show web session": ["show", "websess00001", "--json"],
    "show interrupted web session": ["show", "pending00001"],
    "show agent session": ["show", AGENT_SESSION],
    "show claude session": ["show", "{claude_id}", "--json"],
    "plugins": ["plugins", "--json"],
    "export interrupted web session": ["export", "pending00001", "-f", "html"],
    "export agent session": ["export", AGENT_SESSION, "-f", "markdown"],
    "export claude session": ["export", "{claude_id}", "-f", "json"],
    "doctor": ["doctor", "--json"],
    "repair --dry-run": ["repair", "--dry-run"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_read_commands_write_nothing(machine: dict[str, Any], name: str) -> None:
    """`list`, `show`, `plugins`, `export`, `doctor` and `repair --dry-run` leave every file
    as it was: no listing cache, no repaired
    turn, no lock, writer note or index change (the index is current, so there is nothing to
    fold), no search index."""
    arguments = [part.format(**machine) for part in COMMANDS[name]]
    root: Path = machine["root"]
    before = _snapshot(root)
    result = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core.cli", *arguments],
        capture_output=True, text=True, env=machine["env"], cwd=root, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the command printed nothing: the test would prove nothing"
    assert _changes(before, _snapshot(root)) == []


def test_show_prints_an_interrupted_turn_as_stored(machine: dict[str, Any]) -> None:
    """`show` prints what is stored: the pending prompt of an interrupted turn is not turned
    into a repaired message (only the Web UI, which knows its live streams, repairs)."""
    result = subprocess.run(
        [sys.executable, "-m", "hermes_sessions_core.cli", "show", "pending00001", "--json"],
        capture_output=True, text=True, env=machine["env"], cwd=machine["root"], timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "did not complete" not in result.stdout
    assert "message 1" in result.stdout
