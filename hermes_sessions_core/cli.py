"""``hermes-sessions``: the sidebar, one session, and the loaded plugins, from a terminal.

Tables for people, ``--json`` for machines. Errors go to stderr with a non-zero exit code:
1 for "not found" or a failed operation, 2 for bad arguments.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import HermesSessionsError, SessionNotFound
from .locations import Locations
from .times import to_epoch

__all__ = ["app", "main"]

app = typer.Typer(
    name="hermes-sessions",
    help="Browse Hermes sessions from every source: Web UI, agent state.db, Claude Code, plugins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)

HomeOption = typer.Option(None, "--home", help="Hermes home (default: $HERMES_HOME or ~/.hermes).")
StateDirOption = typer.Option(
    None, "--state-dir", help="Web UI state dir (default: $HERMES_WEBUI_STATE_DIR or <home>/webui)."
)
SessionsUrlOption = typer.Option(
    None, "--sessions-url", help="Any fsspec URL for Web UI sessions (memory://, s3://bucket/path)."
)
ClaudeDirOption = typer.Option(None, "--claude-dir", help="Claude Code projects folder to read.")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _store(
    home: Optional[Path], state_dir: Optional[Path], sessions_url: Optional[str],
    claude_dir: Optional[Path], profile: Optional[str] = None,
) -> Any:
    from .store import SessionStore

    locations = Locations.from_environment(
        base_home=home, state_dir=state_dir, session_url=sessions_url,
        claude_projects_dir=claude_dir, profile=profile,
    )
    return SessionStore(locations)


def _fail(message: str, code: int = 1) -> None:
    _err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _when(value: Any) -> str:
    stamp = to_epoch(value)
    if stamp is None:
        return "-"
    return _dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def _looked_in(store: Any, profile: str) -> list[str]:
    locations: Locations = store.locations
    places = [f"Web UI sessions: {locations.sessions_url}"]
    try:
        places.append(f"agent store: {locations.state_db(profile)}")
    except HermesSessionsError:
        pass
    if store.source_enabled("claude_code"):
        roots = ", ".join(str(r) for r in locations.claude_projects_roots())
        places.append(f"Claude Code: {roots}")
    return places


@app.command("list")
def list_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile to show."),
    all_profiles: bool = typer.Option(False, "--all-profiles", help="Rows of every profile."),
    cron: bool = typer.Option(False, "--cron", help="Include cron-job sessions."),
    archived: bool = typer.Option(False, "--archived", help="Include archived sessions."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Show at most N rows."),
    as_json: bool = JsonOption,
) -> None:
    """The sidebar: sessions of every source, newest first, pinned on top."""
    try:
        store = _store(home, state_dir, sessions_url, claude_dir, profile)
        active = store.locations.active_profile(profile)
        listing = store.list_sessions(
            active, all_profiles=all_profiles, include_archived=archived, include_cron=cron
        )
    except HermesSessionsError as error:
        _fail(str(error))
        return
    rows = listing.as_dicts()
    if limit is not None:
        rows = rows[:limit]
    try:
        store.close()
    except HermesSessionsError:
        pass
    if as_json:
        _print_json({
            "profile": active,
            "sessions": rows,
            "other_profile_count": listing.other_profile_count,
            "problems": [p.to_dict() for p in listing.problems],
            "looked_in": _looked_in(store, active),
        })
        return
    if not rows:
        _out.print(f"No sessions found for profile [bold]{active}[/bold]. Looked in:")
        for place in _looked_in(store, active):
            _out.print(f"  - {place}", highlight=False)
    else:
        table = Table(title=f"Sessions ({active})", title_justify="left")
        table.add_column("ID", no_wrap=True)
        table.add_column("Title", overflow="fold", max_width=60)
        table.add_column("Source")
        table.add_column("Msgs", justify="right")
        table.add_column("Last activity", no_wrap=True)
        for row in rows:
            title = ("📌 " if row.get("pinned") else "") + str(row.get("title") or "Untitled")
            table.add_row(
                str(row.get("session_id")), title, str(row.get("source_label") or "WebUI"),
                str(row.get("message_count") or 0),
                _when(row.get("last_message_at") or row.get("updated_at")),
            )
        _out.print(table)
        if listing.other_profile_count:
            _out.print(f"{listing.other_profile_count} more in other profiles (--all-profiles).")
    for problem in listing.problems:
        _err.print(f"[yellow]warning:[/yellow] {problem.describe()}", highlight=False)


@app.command("show")
def show_command(
    session_id: str = typer.Argument(..., help="The session id."),
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    messages: int = typer.Option(20, "--messages", "-m", min=0, help="Show the last N messages."),
    as_json: bool = JsonOption,
) -> None:
    """One session: its metadata and transcript."""
    try:
        store = _store(home, state_dir, sessions_url, claude_dir)
        session = store.get(session_id)
    except SessionNotFound:
        _fail(f"session {session_id!r} not found (run `hermes-sessions list` to see ids)")
        return
    except HermesSessionsError as error:
        _fail(str(error))
        return
    row = session.compact()
    transcript = list(session.messages)
    if as_json:
        _print_json({"session": row, "messages": transcript})
        return
    _out.print(f"[bold]{row.get('title')}[/bold]  ({row.get('session_id')})", highlight=False)
    for key in ("source_label", "model", "workspace", "profile", "message_count", "created_at",
                "last_message_at"):
        value = row.get(key)
        if key.endswith("_at"):
            value = _when(value)
        _out.print(f"  {key}: {value}", highlight=False)
    shown = transcript[-messages:] if messages else []
    if len(transcript) > len(shown):
        _out.print(f"  … {len(transcript) - len(shown)} earlier messages (--messages N)")
    for message in shown:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if not isinstance(content, str):
            content = json.dumps(content, ensure_ascii=False, default=str)
        _out.print(f"[bold]{message.get('role', '?')}[/bold]: {content[:2000]}", highlight=False)


@app.command("plugins")
def plugins_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Loaded sources, what they can do, and any plugin that failed."""
    store = _store(home, state_dir, None, None)
    report = store.plugin_report()
    if as_json:
        _print_json(report)
        return
    table = Table(title="Sources", title_justify="left")
    for column in ("Name", "Label", "Access", "Origin", "Status"):
        table.add_column(column)
    for entry in report:
        if entry["status"] == "ok":
            access = "read-write" if entry["writable"] else "read-only"
            origin = entry["origin"] + (f" ({entry['distribution']})" if entry.get("distribution") else "")
            status = "enabled" if entry["enabled"] else "disabled"
            table.add_row(entry["name"], entry["label"], access, origin, f"[green]{status}[/green]")
        else:
            table.add_row(
                entry["name"], "-", "-", entry.get("distribution") or "-",
                f"[red]failed in {entry['hook']}: {entry['error']}[/red]",
            )
    _out.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
