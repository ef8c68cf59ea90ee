"""The kit's hostile-input section itself: it fails a source that blocks on a FIFO, lets a
RecursionError or a ValueError escape, or lists a 10 MB title whole, each with a message that
names the cause; and a subclass without `hostile_seed` is told what to write. Runs a throwaway
test file in a separate pytest process, as a plugin author's repository would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

BRITTLE_SOURCE = '''
import json
from pathlib import Path

import pytest

from hermes_sessions_core import Session, SessionRow, SourceInfo, SourceListing, hookimpl
from hermes_sessions_core.testing import HostileInputContract, make_special_file, splice_raw_json
from hermes_sessions_core.testing.hostile import RAW_VALUE_MARKER


class Brittle:
    """Reads <folder>/<id>.json naively: open() blocks on a FIFO, json.loads recurses, titles
    are listed whole and times converted with float()."""

    def __init__(self, folder):
        self.folder = folder

    @hookimpl
    def hermes_sessions_source_info(self):
        return SourceInfo(name="brittle", label="Brittle", writable=False,
                          id_prefixes=("brittle_",))

    def _record(self, path):
        with open(path, encoding="utf-8") as stream:
            return json.loads(stream.read())

    @hookimpl
    def hermes_sessions_list_rows(self, request):
        rows = []
        for path in sorted(self.folder.glob("brittle_*.json")):
            record = self._record(path)
            rows.append(SessionRow.adopt({
                "session_id": path.stem, "title": record["title"],
                "message_count": len(record["messages"]),
                "created_at": float(record["created_at"]),
                "updated_at": float(record["created_at"]), "profile": None}))
        return SourceListing("brittle", tuple(rows))

    @hookimpl
    def hermes_sessions_load_session(self, session_id, metadata_only):
        path = self.folder / f"{session_id}.json"
        if not session_id.startswith("brittle_") or not path.exists():
            return None
        record = self._record(path)
        return Session(session_id=session_id, messages=record["messages"], title=record["title"],
                       _default_workspace="/tmp")


def _write(folder, session_id, title="Fine", messages=None, created_at=1700000000.0):
    record = {"title": title, "messages": messages or [{"role": "user", "content": "hi"}],
              "created_at": created_at}
    (folder / f"{session_id}.json").write_text(json.dumps(record))


class TestBrittle(HostileInputContract):
    hostile_seconds = 2.0

    @pytest.fixture
    def plugin(self, data_dir):
        return Brittle(data_dir)

    @pytest.fixture
    def seed(self, data_dir):
        _write(data_dir, "brittle_good")
        return ["brittle_good"]

    @pytest.fixture
    def hostile_seed(self, data_dir):
        def write(kind, payload):
            session_id = f"brittle_{kind}"
            path = data_dir / f"{session_id}.json"
            if kind in ("fifo", "socket"):
                make_special_file(path, kind)
            elif kind == "deep_nesting":
                _write(data_dir, session_id,
                       messages=[{"role": "user", "content": RAW_VALUE_MARKER}])
                path.write_bytes(splice_raw_json(path.read_bytes(), payload))
            elif kind == "oversized_title":
                _write(data_dir, session_id, title=payload)
            elif kind == "oversized_content":
                _write(data_dir, session_id, messages=[{"role": "user", "content": payload}])
            else:
                _write(data_dir, session_id, title=payload["text"], created_at=payload["time"])
            return session_id
        return write


class TestForgetful(HostileInputContract):
    @pytest.fixture
    def plugin(self, data_dir):
        return Brittle(data_dir)

    @pytest.fixture
    def seed(self, data_dir):
        _write(data_dir, "brittle_good")
        return ["brittle_good"]
'''


def test_the_hostile_section_fails_a_brittle_source_and_says_why(tmp_path: Path) -> None:
    """A FIFO that blocks open() fails as a hang within the bound; a socket file, deep nesting
    and wrong types fail with the error that escaped; a 10 MB title fails as an uncapped row;
    a subclass without hostile_seed errors with MissingContractFixture naming it."""
    (tmp_path / "test_brittle.py").write_text(textwrap.dedent(BRITTLE_SOURCE))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_brittle.py", "-q", "-rfE", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-o", "addopts="],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    out = result.stdout
    assert result.returncode == 1, out
    failed = "FAILED test_brittle.py::TestBrittle::"
    assert f"{failed}test_special_files_never_hang_a_listing_or_a_load[fifo]" in out
    assert "list_rows with a fifo where a session would be did not return within 2 s" in out
    assert f"{failed}test_special_files_never_hang_a_listing_or_a_load[socket]" in out
    assert f"{failed}test_deep_nesting_is_isolated_and_bounded" in out
    assert "raised RecursionError" in out
    assert f"{failed}test_oversized_title_is_isolated_bounded_and_capped" in out
    assert "bytes of JSON with a 10 MB title" in out
    assert f"{failed}test_wrong_types_never_break_the_listing" in out
    assert "raised ValueError" in out
    assert f"{failed}test_oversized_content_is_isolated_and_bounded" not in out, (
        "a 10 MB message that never reaches a row is within the contract")
    assert "ERROR test_brittle.py::TestForgetful::test_deep_nesting_is_isolated_and_bounded" in out
    assert "needs the fixture 'hostile_seed'" in out
