"""``list`` and ``show``: the sidebar, and one session."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, List, Optional

import typer

from ..errors import HermesSessionsError, SessionNotFound
from .app import (
    ClaudeDirOption,
    HomeOption,
    JsonOption,
    SessionsUrlOption,
    StateDirOption,
    app,
    close_quietly,
    err,
    fail,
    known_machines,
    open_store,
    out,
    parse_since,
    print_json,
    require_known,
    require_known_profile,
    row_machine,
    safe,
    when,
)
from .completion import (
    complete_machines,
    complete_profiles,
    complete_session_ids,
    complete_sources,
)

if TYPE_CHECKING:
    from ..locations import Locations

__all__ = ["list_command", "show_command", "stored_session_or_exit"]


def _looked_in(store: Any, profile: str, no_agent: bool = False) -> list[str]:
    locations: Locations = store.locations
    places = [f"Web UI sessions: {locations.sessions_url}"]
    try:
        none_there = " (none there)" if no_agent else ""
        places.append(f"agent store: {locations.state_db(profile)}{none_there}")
    except HermesSessionsError:
        pass
    if store.source_enabled("claude_code"):
        roots = ", ".join(str(r) for r in locations.claude_projects_roots())
        places.append(f"Claude Code: {roots}")
    from ..records import ROLE_AGENT_STORE

    # Every other reading source says where it reads in its own description.
    shown = {"claude_code", *(s.info.name for s in (store.dispatcher.writable_source(),) if s)}
    for name, entry in store.dispatcher.sources.items():
        info = entry.info
        if name in shown or info.writable or ROLE_AGENT_STORE in info.roles:
            continue
        if store.source_enabled(name) and info.description:
            places.append(info.description.removesuffix(", read-only"))
    return places


def _selected(
    rows: list[dict[str, Any]], since: Optional[str], project: Optional[str]
) -> list[dict[str, Any]]:
    """Rows active since ``since`` (last message, else last update) and of ``project``."""
    if since is not None:
        from ..times import to_epoch

        cutoff = parse_since(since)
        rows = [
            row for row in rows
            if (to_epoch(row.get("last_message_at")) or to_epoch(row.get("updated_at")) or 0.0)
            >= cutoff
        ]
    if project is not None:
        rows = [row for row in rows if row.get("project_id") == project]
    return rows


class SortKey(Enum):
    """Orders ``list`` offers; ``sidebar`` is the Web UI's own (pinned first, newest first)."""

    sidebar = "sidebar"
    activity = "activity"
    created = "created"
    title = "title"
    messages = "messages"


def _sorted(rows: list[dict[str, Any]], key: SortKey, reverse: bool) -> list[dict[str, Any]]:
    """Rows in ``key`` order, largest (newest, most messages) first, titles A to Z; ``reverse``
    turns any order round. Pinning counts only in the sidebar order. Python's sort is stable,
    so rows that tie keep their sidebar order."""
    from ..times import to_epoch

    def activity(row: dict[str, Any]) -> float:
        return to_epoch(row.get("last_message_at")) or to_epoch(row.get("updated_at")) or 0.0

    if key is SortKey.sidebar:
        return rows[::-1] if reverse else rows
    if key is SortKey.title:
        return sorted(
            rows, key=lambda row: str(row.get("title") or "Untitled").casefold(), reverse=reverse
        )
    measure: Callable[[dict[str, Any]], float] = {
        SortKey.activity: activity,
        SortKey.created: lambda row: to_epoch(row.get("created_at")) or 0.0,
        SortKey.messages: lambda row: float(
            row.get("message_count") if isinstance(row.get("message_count"), int) else 0
        ),
    }[key]
    return sorted(rows, key=measure, reverse=not reverse)


#: The table's columns, in the order ``_print_rows``'s cells give them.
_COLUMNS = ("ID", "Source", "Msgs", "Last activity", "Title")


def _print_rows(rows: list[dict[str, Any]], profile: str) -> None:
    """A table in a terminal, ids and titles cut with an ellipsis to fit its width; when piped,
    one row per line (id, source, messages, last activity, title), tab-separated."""
    def cells(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
        title = ("📌 " if row.get("pinned") else "") + str(row.get("title") or "Untitled")
        machine = f" @{row['machine']}" if row.get("machine") else ""
        return (
            str(row.get("session_id")), str(row.get("source_label") or "WebUI") + machine,
            str(row.get("message_count") or 0),
            when(row.get("last_message_at") or row.get("updated_at")), title,
        )

    if not out().is_terminal:
        lines = ("\t".join(" ".join(cell.split()) for cell in cells(row)) for row in rows)
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        sys.stdout.flush()
        return
    from rich.cells import cell_len
    from rich.table import Table

    table = Table(title=f"Sessions ({profile})", title_justify="left")
    # Every width is set here, not left to rich: a long unbreakable title made rich squeeze a
    # short column to nothing. The short columns are as wide as their widest cell, within
    # bounds; the title takes what is left; ids and titles are cut with an ellipsis (`show`
    # takes the full id from --json, -q or a pipe).
    values = [tuple(safe(cell) for cell in cells(row)) for row in rows]
    bounds = {"ID": (12, 14), "Source": (6, 20), "Msgs": (4, 7), "Last activity": (13, 16)}
    widths = {
        header: max(low, len(header), min(high, max((cell_len(v[i]) for v in values), default=0)))
        for i, (header, (low, high)) in enumerate(bounds.items())
    }
    shown = list(_COLUMNS)

    def room_for_title() -> int:
        frame = 3 * len(shown) + 1  # a space either side of each cell, and the rules
        return out().width - sum(widths[h] for h in shown if h != "Title") - frame

    # A narrow terminal loses the source, then the date, before the title gets unreadable.
    for dropped in ("Source", "Last activity"):
        if room_for_title() >= 12:
            break
        shown.remove(dropped)
    widths["Title"] = max(10, room_for_title())
    for header in shown:
        table.add_column(
            header, no_wrap=True, overflow="ellipsis", width=widths[header],
            justify="right" if header == "Msgs" else "left",
        )
    kept = [_COLUMNS.index(header) for header in shown]
    for value in values:
        table.add_row(*(value[i] for i in kept))
    out().print(table)


def _fail_if_asked_location_unusable(
    sessions_url: Optional[str], store: Any, problems: Any
) -> None:
    """A ``--sessions-url`` the user gave that cannot be opened is the command's failure (one
    line naming it and the fix, exit 1), not a warning beside an empty listing. The URL is the
    Web UI store's, whichever plugin holds that role."""
    writable = store.dispatcher.writable_source()
    if sessions_url is None or writable is None:
        return
    for problem in problems:
        if problem.source == writable.name and problem.error_type in (
            "StorageError", "MissingDependencyError"
        ):
            fail(problem.message)


@app.command("list")
def list_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    profile: Optional[str] = typer.Option(
        None, "--profile", "-p", help="Profile to show.", autocompletion=complete_profiles
    ),
    all_profiles: bool = typer.Option(False, "--all-profiles", help="Rows of every profile."),
    cron: bool = typer.Option(False, "--cron", help="Include cron-job sessions."),
    archived: bool = typer.Option(False, "--archived", help="Include archived sessions."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Show at most N rows."),
    since: Optional[str] = typer.Option(
        None, "--since", help="Active since: 7d, 12h, today, yesterday, 2026-12-01 or epoch."
    ),
    project: Optional[str] = typer.Option(None, "--project", help="Only this project id."),
    source: Optional[List[str]] = typer.Option(
        None, "--source", "-s", metavar="NAME", autocompletion=complete_sources,
        help="Only rows this source supplied (json_fs, agent_state_db, claude_code…); "
             "repeatable.",
    ),
    machine: Optional[List[str]] = typer.Option(
        None, "--machine", "-m", metavar="NAME", autocompletion=complete_machines,
        help="Only rows read from this machine (a label from the settings file, or 'local'); "
             "repeatable.",
    ),
    sort: SortKey = typer.Option(
        SortKey.sidebar, "--sort", case_sensitive=False,
        help="Order: sidebar (pinned, then newest), activity, created, messages or title.",
    ),
    reverse: bool = typer.Option(False, "--reverse", "-r", help="Turn the order round."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the ids, one a line."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="Print one JSON object per row."),
    cli_rows: int = typer.Option(
        20, "--cli-rows", min=0,
        help="Show at most N of the agent's CLI sessions, as the Web UI sidebar does; 0: all.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """The sidebar: sessions of every source, newest first, pinned on top."""
    if profile is not None and all_profiles:
        fail("--profile and --all-profiles cannot be used together", code=2)
    try:
        store = open_store(
            home, state_dir, sessions_url, claude_dir, profile, cli_row_limit=cli_rows or -1
        )
        active = store.locations.active_profile(profile)
        require_known_profile(store, profile)
        require_known("--source", tuple(source or ()), list(store.dispatcher.sources))
        listing = store.list_sessions(
            active, all_profiles=all_profiles, include_archived=archived, include_cron=cron
        )
    except HermesSessionsError as error:
        fail(str(error))
        return
    _fail_if_asked_location_unusable(sessions_url, store, listing.problems)
    listed = listing.rows_from(source) if source else listing.rows
    if machine:
        require_known("--machine", tuple(machine), known_machines(store, listing.rows))
        listed = [row for row in listed if row_machine(row) in machine]
    selected = _sorted(_selected([row.to_dict() for row in listed], since, project), sort, reverse)
    rows = selected[:limit] if limit is not None else selected
    close_quietly(store)
    if quiet or as_jsonl:
        from .. import jsoncodec

        lines = (
            str(row.get("session_id")) if quiet else jsoncodec.dumps_report_line(row)
            for row in rows
        )
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        sys.stdout.flush()
        return
    if as_json:
        print_json({
            "profile": active,
            "sessions": rows,
            "other_profile_count": listing.other_profile_count,
            "capped_cli_count": listing.capped_cli_count,
            "problems": [p.to_dict() for p in listing.problems],
            "looked_in": _looked_in(store, active),
        })
        return
    # A machine without the Hermes agent is normal: said once, in the footer, not as a warning.
    no_agent = [p for p in listing.problems if p.error_type == "AgentDatabaseMissing"]
    warnings = [p for p in listing.problems if p.error_type != "AgentDatabaseMissing"]
    if not rows and listing.rows:
        out().print(
            "No sessions match --source/--machine/--since/--project "
            f"({len(listing.rows)} in the sidebar of profile [bold]{safe(active)}[/bold]).",
            highlight=False,
        )
    elif not rows:
        out().print(f"No sessions found for profile [bold]{safe(active)}[/bold]. Looked in:")
        for place in _looked_in(store, active, no_agent=bool(no_agent)):
            out().print(f"  - {safe(place)}", highlight=False)
    else:
        _print_rows(rows, active)
        # Notes go where the rows' reader will see them: below the table in a terminal, to
        # stderr when the rows are piped (so `list | wc -l` counts rows).
        note = out() if out().is_terminal else err()
        if listing.other_profile_count:
            note.print(f"{listing.other_profile_count} more in other profiles (--all-profiles).")
        if listing.capped_cli_count:
            note.print(
                f"{listing.capped_cli_count} more agent CLI sessions not shown (--cli-rows 0 "
                "shows them all)."
            )
        if len(rows) < len(selected):
            note.print(f"{len(selected) - len(rows)} more not shown (--limit {limit}).")
        for problem in no_agent[:1]:
            where = safe(problem.path or "")
            note.print(
                f"[dim]No agent store at {where}: no agent sessions listed.[/dim]", highlight=False
            )
    for problem in warnings:
        err().print(f"[yellow]warning:[/yellow] {safe(problem.describe())}", highlight=False)


@app.command("show")
def show_command(
    session_id: str = typer.Argument(
        ..., help="The session id.", autocompletion=complete_session_ids
    ),
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    messages: Optional[int] = typer.Option(
        None, "--messages", "-m", min=0,
        help="Show the last N messages (default: 20 in the text view, all with --json).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """One session: its metadata and transcript."""
    session = stored_session_or_exit(session_id, home, state_dir, sessions_url, claude_dir)
    row = session.compact()
    transcript = list(session.messages)
    if as_json:
        kept = transcript if messages is None else (transcript[-messages:] if messages else [])
        print_json({"session": row, "messages": kept})
        return
    if messages is None:
        messages = 20
    out().print(
        f"[bold]{safe(row.get('title'))}[/bold]  ({safe(row.get('session_id'))})",
        highlight=False,
    )
    for key in ("source_label", "model", "workspace", "profile", "message_count", "created_at",
                "last_message_at"):
        value = row.get(key)
        if value is None:
            continue  # not recorded (an external session has no profile: it shows in all)
        if key.endswith("_at"):
            value = when(value)
        out().print(f"  {key}: {safe(value)}", highlight=False)
    from ..export.parts import entries_of

    shown = transcript[-messages:] if messages else []
    if len(transcript) > len(shown):
        out().print(f"  … {len(transcript) - len(shown)} earlier messages (--messages N)")
    for entry in entries_of(shown):
        text = " ".join(filter(None, (_part_text(part) for part in entry.parts)))
        out().print(f"[bold]{safe(entry.role)}[/bold]: {safe(text[:2000])}", highlight=False)


def _part_text(part: Any) -> str:
    """One part of a message as the text view shows it: text and tool output as written,
    what cannot be printed (images, files, calls) named in brackets, thinking left to
    ``export``."""
    from ..export import parts

    if isinstance(part, parts.ToolResult) and part.language == "json":
        import json

        try:  # one line, as the tool wrote it: the export indents it for reading
            return json.dumps(json.loads(part.text), ensure_ascii=False)
        except (ValueError, RecursionError):
            return part.text
    if isinstance(part, (parts.Text, parts.ToolResult, parts.Other)):
        return part.text
    if isinstance(part, parts.Image):
        return f"[image: {part.media_type}]" if part.media_type else "[image]"
    if isinstance(part, parts.ToolCall):
        return f"[calls {part.name}]"
    if isinstance(part, parts.Attachment):
        return f"[file: {part.name}]"
    return ""  # thinking: `export` shows it, folded


def stored_session_or_exit(
    session_id: str, home: Optional[Path], state_dir: Optional[Path],
    sessions_url: Optional[str], claude_dir: Optional[Path],
) -> Any:
    """The session as stored, from whichever source holds it, for a command that shows or
    exports it; an unknown id or unusable store is one error line and exit 1."""
    try:
        store = open_store(home, state_dir, sessions_url, claude_dir)
        session = _stored_session(store, session_id)
    except SessionNotFound:
        fail(f"session {session_id!r} not found (run `hermes-sessions list` to see ids)")
    except HermesSessionsError as error:
        fail(str(error))
    close_quietly(store)
    return session


def _stored_session(store: Any, session_id: str) -> Any:
    """The session exactly as its source stores it.

    Not ``store.get()``: that repairs a turn it believes interrupted and saves the repair
    (S2.36), and this process cannot know which streams the Web UI is running, so it could
    "repair" a live one. Showing a session writes nothing.
    """
    session, _source = store.dispatcher.load_session(store.context(), session_id, False)
    return session

