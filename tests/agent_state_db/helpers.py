"""Helpers for agent-store tests: temporary Hermes homes built from copies of the fixtures."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hermes_sessions_core.locations import Locations

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
