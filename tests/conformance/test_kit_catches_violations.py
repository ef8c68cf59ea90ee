"""The kit itself: it fails for a source that breaks the contracts, and a subclass that forgets
a fixture is told what to provide. Runs a throwaway test file in a separate pytest process, as
a plugin author's repository would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

LEAKY_SOURCE = '''
import pytest
from hermes_sessions_core import Session, SessionRow, SourceInfo, SourceListing, hookimpl
from hermes_sessions_core.testing import ReadableSourceContract

SHARED = {"session_id": "leaky_1", "title": "t", "message_count": 2, "created_at": 1700000000,
          "updated_at": 1700000001.0, "profile": None, "gateway_routing_history": []}


class Leaky:
    """Integer times, one shared row dict, raises on odd ids, metadata loads not partial."""

    @hookimpl
    def hermes_sessions_source_info(self):
        return SourceInfo(name="leaky", label="Leaky", writable=False, id_prefixes=("leaky_",))

    @hookimpl
    def hermes_sessions_list_rows(self, request):
        return SourceListing("leaky", (SessionRow.adopt(SHARED),))

    @hookimpl
    def hermes_sessions_load_session(self, session_id, metadata_only):
        if "/" in session_id:
            raise OSError("path escaped the folder")
        if session_id != "leaky_1":
            return None
        messages = [] if metadata_only else [{"role": "user", "content": "hi"}] * 2
        return Session(session_id="leaky_1", messages=messages, _default_workspace="/tmp")


class TestLeaky(ReadableSourceContract):
    @pytest.fixture
    def plugin(self):
        return Leaky()

    @pytest.fixture
    def seed(self):
        return ["leaky_1"]

    @pytest.fixture
    def seed_damaged(self):
        return []


class TestForgetful(ReadableSourceContract):
    pass
'''


def test_the_kit_fails_broken_sources_and_explains_missing_fixtures(tmp_path: Path) -> None:
    """Integer times (S0.1), shared row dicts (S0.2), a raising malformed-id read (S1.3), a
    metadata-only load that is not partial (S2.15) and silent damage each fail a contract; a
    subclass without fixtures errors with MissingContractFixture naming the fixture."""
    (tmp_path / "test_leaky.py").write_text(textwrap.dedent(LEAKY_SOURCE))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_leaky.py", "-q", "-rfE", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-o", "addopts="],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    out = result.stdout
    assert result.returncode == 1, out
    for contract in (
        "test_row_times_are_epoch_floats",
        "test_rows_are_immutable_and_fresh_per_call",
        "test_metadata_only_loads_are_partial_and_cannot_be_saved",
        "test_damaged_data_gives_problems_not_exceptions",
        "test_malformed_ids_are_not_found['a/b']",
    ):
        assert f"FAILED test_leaky.py::TestLeaky::{contract}" in out, contract
    assert "ERROR test_leaky.py::TestForgetful::test_source_info_describes_one_source" in out
    assert "MissingContractFixture" in out and "needs the fixture 'plugin'" in out
