"""The built-in OpenCode source passes the kit's readable and search contracts on the
generated fixtures (database and legacy JSON tree)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import hermes_sessions_opencode
import pytest

from hermes_sessions_core.testing import ReadableSourceContract, SearchContract

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "opencode"
MAIN = "opencode_ses_1c56060ffffe-d-r3y-a-n-y-k-p-l-lozb"
LEGACY = "opencode_ses_1c7c2bafffb6-y-gz-eq-v-dn-w9rh5e"
ARCHIVED = "opencode_ses_1c529727ffd8-bte-me-d-j-je-q-sa-a-m"


def _copy_fixtures(target: Path) -> None:
    shutil.copytree(FIXTURES, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("README.md", "manifest.json", "*.py"))
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


class _OpenCodeFixtures:
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_opencode

    @pytest.fixture
    def settings(self, data_dir):
        return {"opencode": {"home": str(data_dir)}}

    @pytest.fixture
    def seed(self, data_dir):
        _copy_fixtures(data_dir)
        return [MAIN, LEGACY, ARCHIVED]


class TestOpenCodeConformance(_OpenCodeFixtures, ReadableSourceContract):
    @pytest.fixture
    def seed_damaged(self, data_dir):
        _copy_fixtures(data_dir)
        (data_dir / "opencode.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
        broken = data_dir / "storage" / "session" / "p" / "ses_cutOff.json"
        broken.parent.mkdir(parents=True)
        broken.write_bytes(b'{"id": "ses_cutOff", "title": "cut')
        return [MAIN, "opencode_ses_cut-off"]


class TestOpenCodeSearch(_OpenCodeFixtures, SearchContract):
    @pytest.fixture
    def search_examples(self):
        return [
            ("checkout test", MAIN, "title"),
            ("rounding error", MAIN, "content"),
            ("ThemeToggle", LEGACY, "content"),
            ("the", MAIN, "content"),
        ]


def test_a_locked_database_still_answers_search(tmp_path: Path) -> None:
    """Searching while OpenCode holds the database exclusively: problems, never an exception."""
    from hermes_sessions_core.testing import SourceHarness
    from hermes_sessions_core.testing.fixtures import isolated_locations

    _copy_fixtures(tmp_path / "oc")
    harness = SourceHarness(hermes_sessions_opencode, isolated_locations(tmp_path),
                            {"opencode": {"home": str(tmp_path / "oc"), "busy_timeout_ms": 20}})
    writer = sqlite3.connect(tmp_path / "oc" / "opencode.db", isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        writer.execute("UPDATE session SET title = 'x'")
        answer = SearchContract.search(SearchContract(), harness, "dark mode")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert answer.problems and {h.session_id for h in answer.hits} == {LEGACY}
