"""Fixtures for the agent store: every database is copied to a temporary home first (WAL mode)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hermes_sessions_agent_state_db import clear_cache

from .helpers import FIXTURES, SCHEMAS, AgentHome, generated_home, make_home


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def real_small(tmp_path: Path) -> AgentHome:
    return make_home(tmp_path, FIXTURES / "real_small.db", None, None)


@pytest.fixture(params=SCHEMAS)
def generated(request: pytest.FixtureRequest, tmp_path: Path) -> AgentHome:
    return generated_home(tmp_path, request.param)


@pytest.fixture
def quirks(tmp_path: Path) -> AgentHome:
    return generated_home(tmp_path, "quirks")


@pytest.fixture
def current(tmp_path: Path) -> AgentHome:
    return generated_home(tmp_path, "current")
