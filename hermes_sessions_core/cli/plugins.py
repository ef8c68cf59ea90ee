"""``plugins``: the loaded sources, what they can do, and each plugin that failed or is blocked.

Exits 0 whenever the report is printed, failed plugins included: the command's job is to say
what failed, and a broken plugin is isolated (the rest of the sidebar works), so a failure here
is a fact to read, not a failed command. Scripts read ``--json``'s ``status``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from ..errors import HermesSessionsError
from .app import (
    COMMAND_SETTINGS,
    HomeOption,
    JsonOption,
    StateDirOption,
    app,
    close_quietly,
    out,
    print_json,
    require_known,
    safe,
    state_dir_for,
)

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["plugins_command"]


@app.command("plugins")
def plugins_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    block: list[str] = typer.Option(
        [], "--block", metavar="NAME",
        help="Leave this plugin out (repeatable); HERMES_SESSIONS_BLOCKED_PLUGINS=a,b does the "
             "same for every command.",
    ),
    probe: bool = typer.Option(
        True, "--probe/--no-probe",
        help="Run one listing so plugins that raise, hang or return malformed rows show too.",
    ),
    timeout: Optional[float] = typer.Option(
        None, "--timeout", min=0.0, metavar="SECONDS",
        help="How long the probe waits for each plugin (default 10, or "
             "$HERMES_SESSIONS_CALL_TIMEOUT).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Loaded sources, what they can do, and every plugin that failed or is blocked.

    One row per plugin; a failed plugin gets one line per failure below the table.
    `hermes-sessions --verbose plugins` also prints each failure's traceback.
    """
    from ..builtin_plugins import BUILTIN_PLUGINS

    entry_points = _entry_points()
    known = [name for name, _ in BUILTIN_PLUGINS] + [e.name for e in entry_points]
    require_known("--block", tuple(block), known)
    report = _probed_report(home, state_dir, block, probe, timeout)
    report += _blocked_entries(block, entry_points)
    if as_json:
        print_json(report)
        return
    _print_report(report)


def _entry_points() -> list[EntryPoint]:
    from importlib import metadata

    from ..hookspecs import ENTRY_POINT_GROUP

    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _probed_report(
    home: Optional[Path], state_dir: Optional[Path], block: list[str], probe: bool,
    timeout: Optional[float],
) -> list[dict[str, Any]]:
    """The store's plugin report, after one listing of everything when ``probe``: a hook that
    raises, hangs or returns malformed rows shows only when it is called."""
    from ..locations import Locations
    from ..manager import make_plugin_manager
    from ..store import SessionStore

    locations = Locations.from_environment(
        base_home=home, state_dir=state_dir_for(home, state_dir)
    )
    core: dict[str, Any] = dict(COMMAND_SETTINGS["core"])
    if timeout is not None:
        core["call_timeout"] = timeout
    settings = {**COMMAND_SETTINGS, "core": core}
    store = SessionStore(
        locations, plugin_manager=make_plugin_manager(blocked=block), settings=settings
    )
    if probe:
        try:
            store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
        except HermesSessionsError:
            pass  # the report names whatever failed
    report = store.plugin_report()
    close_quietly(store)
    return report


def _blocked_entries(block: list[str], entry_points: list[EntryPoint]) -> list[dict[str, Any]]:
    """Blocked plugins never load, so the store cannot name them: they come from the names."""
    from ..builtin_plugins import BUILTIN_PLUGINS
    from ..manager import blocked_names

    blocked = blocked_names(block)
    entries: list[dict[str, Any]] = [
        {"name": name, "plugin": name, "status": "blocked", "distribution": None,
         "origin": "builtin", "module": module, "failures": []}
        for name, module in BUILTIN_PLUGINS
        if name in blocked
    ]
    for entry_point in entry_points:
        if entry_point.name in blocked:
            dist = getattr(entry_point, "dist", None)
            entries.append({
                "name": entry_point.name, "plugin": entry_point.name, "status": "blocked",
                "distribution": f"{dist.metadata['Name']} {dist.version}" if dist else None,
                "origin": "entry point", "module": entry_point.value, "failures": [],
            })
    return entries


def _cells(entry: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """Name, label, access, distribution and status of one report entry, as plain text."""
    label, access = "-", "-"
    if "label" in entry:  # loaded: it said who it is, even if a hook failed later
        label = str(entry["label"])
        access = "read-write" if entry["writable"] else "read-only"
    if entry["status"] == "ok":
        status = "enabled" if entry["enabled"] else "disabled"
    elif entry["status"] == "blocked":
        status = "blocked"
    else:
        # The hook's short name here; the line below the rows gives the full one.
        hooks = dict.fromkeys(
            failure["hook"].removeprefix("hermes_sessions_") for failure in entry["failures"]
        )
        status = f"failed in {', '.join(hooks)}"
    where = entry.get("distribution") or entry.get("origin") or "-"
    return str(entry["name"]), label, access, str(where), status


_STATUS_STYLE = {"ok": "green", "blocked": "yellow", "failed": "red"}


def _print_report(report: list[dict[str, Any]]) -> None:
    """A table in a terminal; when piped, one plugin per line, tab-separated (as ``list``)."""
    if out().is_terminal:
        from rich.table import Table

        table = Table(title="Sources", title_justify="left")
        # In a narrow terminal only the label folds: it repeats the name in words.
        for column in ("Name", "Label", "Access", "Distribution", "Status"):
            table.add_column(column, overflow="fold", no_wrap=column != "Label")
        for entry in report:
            *cells, status = (safe(cell) for cell in _cells(entry))
            style = None if status == "disabled" else _STATUS_STYLE[entry["status"]]
            table.add_row(*cells, f"[{style}]{status}[/{style}]" if style else status)
        out().print(table)
    else:
        for entry in report:
            typer.echo("\t".join(_cells(entry)))  # not through rich: it expands tabs
    failed = [entry for entry in report if entry["status"] == "failed"]
    for entry in failed:
        dist = f" ({entry['distribution']})" if entry.get("distribution") else ""
        for failure in entry["failures"]:
            out().print(
                f"[red]✗[/red] {safe(entry['plugin'])}{safe(dist)} failed in "
                f"{safe(failure['hook'])}: {safe(failure['error'])}",
                highlight=False,
            )
    if failed:
        names = ",".join(sorted({entry["plugin"] for entry in failed}))  # what blocking takes
        out().print(
            f"To leave a plugin out: HERMES_SESSIONS_BLOCKED_PLUGINS={safe(names)} (or --block "
            "NAME); to remove it: pip uninstall <distribution>. Tracebacks: hermes-sessions "
            "--verbose plugins.",
            highlight=False,
        )
