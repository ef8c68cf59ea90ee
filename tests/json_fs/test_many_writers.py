"""Several processes on one machine saving different and the same sessions (issue 3).

Four processes × 200 saves into one local store: no torn file, no lost index row, and each
shared session ends as some process's final save of it (an older version never wins back).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .crash_check import WORKER
from .workers import open_store


@pytest.mark.timeout(300)
def test_four_processes_two_hundred_saves_each(tmp_path):
    names = ["w1", "w2", "w3", "w4"]
    children = [
        subprocess.Popen([sys.executable, str(WORKER), "writer", str(tmp_path), name, "200", "5"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in names
    ]
    finals: dict[str, dict[str, str]] = {}
    for name, child in zip(names, children):
        out, err = child.communicate(timeout=240)
        assert child.returncode == 0, err
        finals[name] = json.loads(out.strip().splitlines()[-1])
    sessions = tmp_path / "webui" / "sessions"
    files = {p.name[:-5]: json.loads(p.read_bytes()) for p in sessions.glob("*.json")
             if not p.name.startswith("_")}
    expected_ids = {sid for final in finals.values() for sid in final}
    assert set(files) == expected_ids
    for session_id, record in files.items():
        candidates = {final[session_id] for final in finals.values() if session_id in final}
        assert record["title"] in candidates, (session_id, record["title"], candidates)
        assert record["message_count"] == len(record["messages"])
    assert not [p for p in sessions.iterdir() if ".tmp." in p.name]
    store = open_store(tmp_path)
    rows = {row["session_id"]: row for row in store.list_sessions().rows}
    assert set(rows) == expected_ids
    for session_id, record in files.items():
        assert rows[session_id]["title"] == record["title"], session_id
        assert rows[session_id]["message_count"] == record["message_count"], session_id
    store.close()
