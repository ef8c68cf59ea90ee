"""opencode against the kit's hostile-input section, in OpenCode's own formats: a FIFO or a
socket named like a legacy session file, and a database session holding a 5,000-level part,
a 10 MB title or message, or columns and JSON of the wrong types, beside the fixtures."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import hermes_sessions_opencode
import pytest
from hermes_sessions_opencode.ids import session_id_for

from hermes_sessions_core.testing import HostileInputContract, make_special_file, splice_raw_json
from hermes_sessions_core.testing.hostile import RAW_VALUE_MARKER

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "opencode"
SESSION = "ses_0badf00dbeefHostileSess01"
T = 1779200000000


def _insert(db: Path, *, title: Any = "Hostile", time_created: Any = T, directory: Any = "/tmp/h",
            user_text: Any = "first prompt", raw_part: bytes | None = None,
            message_data: Any = None) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO session (id, project_id, slug, directory, title, version, time_created,"
            " time_updated) VALUES (?, 'global', 'h', ?, ?, '1.2.10', ?, ?)",
            (SESSION, directory, title, time_created, time_created))
        user = message_data if message_data is not None else json.dumps(
            {"role": "user", "time": {"created": T}})
        connection.execute("INSERT INTO message VALUES ('msg_u1', ?, ?, ?, ?)",
                           (SESSION, T, T, user))
        part = raw_part if raw_part is not None else json.dumps(
            {"type": "text", "text": user_text}).encode()
        connection.execute("INSERT INTO part VALUES ('prt_u1', 'msg_u1', ?, ?, ?, ?)",
                           (SESSION, T, T, part.decode()))
        answer = json.dumps({"role": "assistant", "time": {"created": T + 1},
                             "modelID": "m", "providerID": "p", "cost": 0.01,
                             "tokens": {"input": 1, "output": 1}})
        connection.execute("INSERT INTO message VALUES ('msg_a1', ?, ?, ?, ?)",
                           (SESSION, T + 1, T + 1, answer))
        connection.execute("INSERT INTO part VALUES ('prt_a1', 'msg_a1', ?, ?, ?, ?)",
                           (SESSION, T + 1, T + 1, json.dumps({"type": "text", "text": "ok"})))


class TestOpenCodeHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_opencode

    @pytest.fixture
    def settings(self, data_dir):
        return {"opencode": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(FIXTURES, data_dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("README.md", "manifest.json", "*.py"))
        for path in data_dir.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        return []

    @pytest.fixture
    def hostile_seed(self, data_dir):
        db = data_dir / "opencode.db"

        def write(kind: str, payload: Any) -> str | None:
            if kind in ("fifo", "socket"):
                path = data_dir / "storage" / "session" / "global" / f"{SESSION}.json"
                make_special_file(path, kind)
                return session_id_for(SESSION)
            if kind == "deep_nesting":
                raw = json.dumps({"type": "text", "text": RAW_VALUE_MARKER}).encode()
                _insert(db, raw_part=splice_raw_json(raw, payload))
            elif kind == "oversized_title":
                _insert(db, title=payload)
            elif kind == "oversized_content":
                _insert(db, user_text=payload)
            else:
                _insert(db, title=payload["text"], time_created=payload["time"],
                        directory=payload["number"],
                        message_data=json.dumps({"role": payload["text"],
                                                 "time": payload["object"],
                                                 "tokens": payload["list"]}),
                        raw_part=json.dumps({"type": payload["list"],
                                             "text": payload["object"]}).encode())
            return session_id_for(SESSION)

        return write
