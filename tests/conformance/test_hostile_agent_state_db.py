"""agent_state_db against the kit's hostile-input section, in the agent's own format: a FIFO or
socket where another profile's state.db would be, and rows of the real state.db holding a
5,000-level JSON value, a 10 MB title or message, or values of the wrong types."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import hermes_sessions_agent_state_db
import pytest

from hermes_sessions_core.testing import HostileInputContract, make_special_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _insert(database: Path, session: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """Rows written as the agent writes them: plain SQL into its own tables."""
    with closing(sqlite3.connect(database, isolation_level=None)) as connection:
        names = ", ".join(session)
        connection.execute(
            f"INSERT INTO sessions({names}) VALUES ({', '.join('?' * len(session))})",
            list(session.values()),
        )
        for message in messages:
            names = ", ".join(message)
            connection.execute(
                f"INSERT INTO messages({names}) VALUES ({', '.join('?' * len(message))})",
                list(message.values()),
            )


class TestAgentStateDbHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self):
        hermes_sessions_agent_state_db.clear_cache()
        return hermes_sessions_agent_state_db

    @pytest.fixture
    def seed(self, locations):
        locations.base_home.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", locations.base_home / "state.db")
        return []

    @pytest.fixture
    def hostile_seed(self, locations):
        def write(kind: str, payload: Any) -> str | None:
            if kind in ("fifo", "socket"):
                make_special_file(locations.base_home / "profiles" / "hostile" / "state.db", kind)
                return None
            database = locations.base_home / "state.db"
            session_id = f"20991231_000000_{kind[:6]}"
            session: dict[str, Any] = {
                "id": session_id, "source": "cli", "model": "gpt-test", "started_at": 4070908800.0,
                "message_count": 2, "title": "Hostile", "model_config": "{}",
            }
            messages: list[dict[str, Any]] = [
                {"session_id": session_id, "role": "user", "content": "hello",
                 "timestamp": 4070908801.0},
                {"session_id": session_id, "role": "assistant", "content": "hi",
                 "timestamp": 4070908802.0},
            ]
            if kind == "deep_nesting":
                text = payload.decode()
                session["model_config"] = text
                messages[0]["content"] = text
                messages[1]["tool_calls"] = text
            elif kind == "oversized_title":
                session["title"] = payload
            elif kind == "oversized_content":
                messages[0]["content"] = payload
            else:
                session.update(
                    source=payload["text"], title=payload["text"], started_at=payload["time"],
                    ended_at=payload["boolean"], message_count=payload["number"],
                    input_tokens=payload["number"], model_config='["not", "an", "object"]',
                    archived=payload["boolean"], parent_session_id=payload["text"],
                )
                messages[0].update(role=payload["text"], content='{"not": "a list"}',
                                   timestamp=payload["time"])
                messages[1].update(tool_calls='{"not": "a list"}', token_count=payload["number"])
            _insert(database, session, messages)
            return session_id

        return write
