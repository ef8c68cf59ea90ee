"""``projects``: a profile's projects from ``projects.json`` and every plugin (S5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..errors import HermesSessionsError
from .app import (
    HomeOption,
    JsonOption,
    StateDirOption,
    app,
    err,
    fail,
    open_store,
    out,
    print_json,
    require_known_profile,
    safe,
    when,
)

__all__ = ["projects_command"]


@app.command("projects")
def projects_command(
    home: Path | None = HomeOption,
    state_dir: Path | None = StateDirOption,
    profile: str | None = typer.Option(None, "--profile", "-p", help="Profile to show."),
    ensure_cron: bool = typer.Option(
        False, "--ensure-cron", help="Create the profile's 'Cron Jobs' project if it is missing."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The profile's projects; nothing is written unless --ensure-cron is given."""
    try:
        store = open_store(home, state_dir, profile=profile)
        require_known_profile(store, profile)
        active = store.locations.active_profile(profile)
        created: str | None = None
        if ensure_cron:
            created = store.ensure_cron_project(active)
        projects, problems = store.dispatcher.projects(store.context(), active)
    except HermesSessionsError as error:
        fail(str(error))
        return
    rows: list[dict[str, Any]] = [{**p.to_dict(), "source": p.source} for p in projects]
    if as_json:
        print_json({
            "profile": active,
            "projects": rows,
            "cron_project_id": created,
            "problems": [p.to_dict() for p in problems],
        })
        return
    if not rows:
        out().print(f"No projects for profile [bold]{safe(active)}[/bold] "
                  f"(looked in {store.locations.projects_file}).", highlight=False)
    else:
        from rich.table import Table

        table = Table(title=f"Projects ({active})", title_justify="left")
        for column in ("ID", "Name", "Color", "Source", "Created"):
            table.add_column(column, no_wrap=column != "Name")
        for row in rows:
            table.add_row(safe(row["project_id"]), safe(row["name"]), safe(row["color"] or "-"),
                          str(row["source"]), when(row["created_at"]))
        out().print(table)
    for problem in problems:
        err().print(f"[yellow]warning:[/yellow] {safe(problem.describe())}", highlight=False)
