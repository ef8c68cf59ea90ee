"""Several Web UI processes on one state dir, through the drop-in (issue 12).

Before conditional saves, four processes appending 200 times to four shared sessions lost
about one message in a hundred. Now every completed save's message is stored exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hermes_sessions_core import compat

WRITER = Path(__file__).with_name("drop_in_writer.py")
SHARED = [f"shared{number:07d}" for number in range(3)]


def test_four_web_ui_processes_appending_to_shared_sessions_lose_nothing(home):
    for session_id in SHARED:
        session = compat.new_session()
        session.session_id = session_id  # fixed ids the writers share
        session.messages.append({"role": "user", "content": "start", "timestamp": 1.0})
        session.save()
    compat.reset()
    environment = {**os.environ, "HERMES_WEBUI_STATE_DIR": str(home.state_dir)}
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), f"w{number}", "40", *SHARED],
            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for number in range(4)
    ]
    summaries = []
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    completed = Counter()
    for journal in home.state_dir.glob("journal-*.log"):
        for line in journal.read_text().splitlines():
            entry = json.loads(line)
            completed[(entry["id"], entry["marker"])] += 1
    assert sum(completed.values()) == 160
    stored = Counter()
    for session_id in SHARED:
        record = json.loads((home.sessions / f"{session_id}.json").read_bytes())
        for message in record["messages"][1:]:
            stored[(session_id, message["content"])] += 1
        stamps = [m["timestamp"] for m in record["messages"]]
        assert stamps == sorted(stamps), f"{session_id}: messages out of timestamp order"
        assert record["message_count"] == len(record["messages"])
    assert stored == completed, "every completed save's message, each exactly once"
    rows = {row["session_id"]: row for row in compat.all_sessions()}
    for session_id in SHARED:
        assert rows[session_id]["message_count"] == 1 + sum(
            1 for (sid, _) in completed if sid == session_id)
    assert sum(s["merges"] for s in summaries) > 0, "the writers never raced: test too weak"
