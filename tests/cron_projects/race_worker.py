"""One racing process: waits for the start file, then back-fills or ensures Cron Jobs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hermes_sessions_cron_projects import (
    ProjectsFile,
    ensure_cron_project,
    index_rows_of,
    load_projects_with_backfill,
)

from hermes_sessions_core.locations import Locations


def main() -> None:
    base, state, start, profile = sys.argv[1:5]
    locations = Locations.from_environment(base_home=base, state_dir=state, environ={})
    deadline = time.time() + 20
    while not Path(start).exists() and time.time() < deadline:
        time.sleep(0.001)
    projects = load_projects_with_backfill(
        ProjectsFile(locations.projects_file), lambda: index_rows_of(locations)
    )
    cron_id = ensure_cron_project(locations, profile)
    print(json.dumps({"projects": len(projects), "cron": cron_id}))


if __name__ == "__main__":
    main()
