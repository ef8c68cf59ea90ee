"""A state dir with a ``projects.json``, session files and ``_index.json`` written by hand in the
Web UI's format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hermes_sessions_cron_projects import forget_backfills

from hermes_sessions_core.hookspecs import StoredSession
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.testing.samples import encode_original, original_record

LEGACY = [
    {"project_id": "p1legacy0001", "name": "Legacy", "color": "#ffffff", "created_at": 1.0},
    {"project_id": "p2work000002", "name": "Work project", "color": "#000000", "profile": "work",
     "created_at": 2.0},
    {"project_id": "p3orphan0003", "name": "Orphan", "color": None, "created_at": 3.0},
]
#: Index rows newest first: p1 is first used by a `work` row, then by a `default` row.
INDEX = [
    {"session_id": "s1", "project_id": "p1legacy0001", "profile": "work", "updated_at": 3.0},
    {"session_id": "s2", "project_id": "p1legacy0001", "profile": "default", "updated_at": 2.0},
    {"session_id": "s3", "project_id": "p3orphan0003", "profile": None, "updated_at": 1.0},
]
#: What the Web UI store says it holds for that index, as the back-fill receives it.
HELD = [
    StoredSession(row["session_id"], row["profile"], row["project_id"], row["updated_at"])
    for row in INDEX
]


@pytest.fixture(autouse=True)
def _fresh_backfills() -> Iterator[None]:
    forget_backfills()
    yield
    forget_backfills()


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    state = tmp_path / "hermes" / "webui"
    (state / "sessions").mkdir(parents=True)
    (state / "projects.json").write_text(json.dumps(LEGACY, indent=2), encoding="utf-8")
    for row in INDEX:
        fields = {key: value for key, value in row.items() if key != "session_id"}
        record = original_record(str(row["session_id"]), [], **fields)
        (state / "sessions" / f"{row['session_id']}.json").write_bytes(encode_original(record))
    (state / "sessions" / "_index.json").write_text(json.dumps(INDEX), encoding="utf-8")
    return Locations.from_environment(base_home=tmp_path / "hermes", state_dir=state, environ={})
