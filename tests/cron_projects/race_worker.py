"""One racing process: waits for the start file, back-fills through a store, ensures Cron Jobs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hermes_sessions_cron_projects import ensure_cron_project

from hermes_sessions_core import SessionStore
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager


def main() -> None:
    base, state, start, profile = sys.argv[1:5]
    locations = Locations.from_environment(base_home=base, state_dir=state, environ={})
    deadline = time.time() + 20
    while not Path(start).exists() and time.time() < deadline:
        time.sleep(0.001)
    store = SessionStore(locations, plugin_manager=make_plugin_manager(entry_points=False))
    projects = store.stored_projects()  # the back-fill asks the Web UI store for its sessions
    store.close()
    cron_id = ensure_cron_project(locations, profile)
    print(json.dumps({"projects": len(projects), "cron": cron_id}))


if __name__ == "__main__":
    main()
