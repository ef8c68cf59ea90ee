"""One "host" of the multi-writer test: its own process, store and s3fs client, no shared lock.

Run as ``python remote_writer.py URL OPTIONS_JSON WORKER COUNT``; prints a JSON object with the
ids it saved and the ids it deleted. It folds the index often (close) so folds race with other
hosts' saves and deletes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.manager import make_plugin_manager


def main(url: str, options_json: str, worker: int, count: int) -> None:
    home = Path(tempfile.mkdtemp())
    store = SessionStore(
        Locations.from_environment(
            base_home=home / "hermes", state_dir=home / "webui", session_url=url,
            claude_projects_dir=home / "none", default_workspace=home, environ={},
        ),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
        settings={"json_fs": {"storage_options": json.loads(options_json), "multi_writer": True}},
    )
    saved, deleted = [], []
    for number in range(count):
        session = Session(
            session_id=f"w{worker}n{number:03d}", title=f"worker {worker} #{number}",
            messages=[{"role": "user", "content": f"hello {number}", "timestamp": 1700000000 + number}],
        )
        store.save(session)
        saved.append(session.session_id)
        if number % 3 == 2:
            victim = f"w{worker}n{number - 1:03d}"
            store.delete(victim)
            deleted.append(victim)
        if number % 4 == 3:
            store.close()  # fold now, racing the other hosts
    store.close()
    print(json.dumps({"saved": saved, "deleted": deleted}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
