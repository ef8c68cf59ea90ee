"""Helpers for agent-store tests: temporary Hermes homes built from copies of the fixtures."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sessions_core import SessionStore
from hermes_sessions_core.hookspecs import ListRequest
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.models import SessionRow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "agent_state_db"
GENERATOR = FIXTURES / "make_state_db.py"
SCHEMAS = ("current", "legacy", "minimal", "quirks")


@dataclass
class AgentHome:
    """A temporary Hermes home holding one agent database and a Web UI state dir."""

    home: Path
    state_dir: Path
    manifest: dict[str, Any]

    @property
    def db(self) -> Path:
        return self.home / "state.db"

    @property
    def jobs_file(self) -> Path:
        return self.home / "cron" / "jobs.json"

    @property
    def locations(self) -> Locations:
        return Locations.from_environment(base_home=self.home, state_dir=self.state_dir)

    def connect(self) -> sqlite3.Connection:
        """A writable connection for arranging a test (never used by the code under test)."""
        return sqlite3.connect(self.db, isolation_level=None)


def make_home(tmp_path: Path, source_db: Path, manifest: Path | None, jobs: Path | None) -> AgentHome:
    home = tmp_path / "hermes"
    home.mkdir()
    shutil.copyfile(source_db, home / "state.db")
    if jobs is not None and jobs.exists():
        (home / "cron").mkdir()
        shutil.copyfile(jobs, home / "cron" / "jobs.json")
    data = json.loads(manifest.read_text(encoding="utf-8")) if manifest else {}
    return AgentHome(home=home, state_dir=tmp_path / "webui", manifest=data)


def generated_home(tmp_path: Path, name: str) -> AgentHome:
    folder = FIXTURES / "generated" / name
    return make_home(tmp_path, folder / "state.db", folder / "manifest.json", folder / "cron" / "jobs.json")


def open_fds() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


_LOCK_HOLDER = r"""
import sqlite3, sys
database, mode = sys.argv[1], sys.argv[2]
connection = sqlite3.connect(database, isolation_level=None)
if mode == "rollback":
    connection.execute("PRAGMA journal_mode=DELETE")
    connection.execute("BEGIN EXCLUSIVE")
else:
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA locking_mode=EXCLUSIVE")
    connection.execute("UPDATE sessions SET ended_at = ended_at WHERE rowid = 1")
print("locked", flush=True)
sys.stdin.read()
"""


@contextmanager
def lock_held_by_another_process(*databases: Path, mode: str) -> Iterator[None]:
    """Each database locked exclusively by its own child process until the block ends.

    ``rollback``: rollback journal and ``BEGIN EXCLUSIVE``; ``wal``: WAL with
    ``PRAGMA locking_mode=EXCLUSIVE`` and one write, which keeps every reader out.
    """
    holders = []
    try:
        for database in databases:
            holder = subprocess.Popen(
                [sys.executable, "-c", _LOCK_HOLDER, str(database), mode],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            holders.append(holder)
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        for holder in holders:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=10)


@contextmanager
def store_over(
    home: AgentHome, session_url: str | None = None,
    builtins: tuple[str, ...] = ("json_fs", "agent_state_db"),
    settings: dict[str, dict[str, Any]] | None = None,
) -> Iterator[SessionStore]:
    """A store with the Web UI store (json_fs, on ``session_url`` if given) and the agent
    store (and any other ``builtins``): the agent asks the Web UI store and the projects
    keeper what they hold only through the core. ``settings`` replace the uncached default."""
    from dataclasses import replace

    from hermes_sessions_json_fs import forget_all

    locations = home.locations
    if session_url is not None:
        locations = replace(locations, session_url=session_url)
    store = SessionStore(
        locations,
        plugin_manager=make_plugin_manager(
            builtins=list(builtins), entry_points=False
        ),
        settings=settings if settings is not None else {"agent_state_db": {"cache_ttl": 0.0}},
    )
    try:
        yield store
    finally:
        store.close()
        forget_all()


def agent_rows_through(store: SessionStore, profile: str = "default") -> dict[str, SessionRow]:
    """The agent store's own listing by id, called the way the sidebar calls it."""
    request = ListRequest(profile=profile, profiles=(profile,), limit=1000)
    listings = store.dispatcher.list_rows(
        store.context(), request, lambda name: name == "agent_state_db"
    )
    return {row.session_id: row for listing in listings for row in listing.rows}


def agent_ids_through(store: SessionStore, profile: str = "default") -> set[str]:
    """Ids of the agent store's own listing, called the way the sidebar calls it."""
    return set(agent_rows_through(store, profile))
