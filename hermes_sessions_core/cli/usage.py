"""``usage``: recorded tokens and cost, summed by day, source, model or machine.

Only what the agents wrote down is shown (see :mod:`hermes_sessions_core.usage`): a total
whose messages recorded no cost says how many, and no price is ever looked up or guessed.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, List, Optional

import typer

from ..errors import HermesSessionsError
from .app import (
    ClaudeDirOption,
    HomeOption,
    JsonOption,
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
    row_machine,
    safe,
)
from .completion import complete_machines, complete_sources
from .progress import source_progress_bars

__all__ = ["usage_command", "UsageKey"]

#: Every source lists all of its sessions for a usage count, not the sidebar's newest few,
#: with exact counts rather than the estimates a quick listing may start from, and with what
#: subagents spent on each session's behalf.
_WHOLE_HISTORY: dict[str, dict[str, Any]] = {
    "agent_state_db": {"limit": 1_000_000},
    "claude_code": {"max_files": 1_000_000, "remote_max_files": 1_000_000,
                    "count_scan_bytes": 1 << 40, "subagent_usage": True},
    "codex": {"max_files": 1_000_000, "count_scan_bytes": 1 << 40},
    "gemini_cli": {"max_files": 1_000_000, "exact_scan_bytes": 1 << 40,
                   "subagent_usage": True},
    "opencode": {"max_sessions": 1_000_000},
}
#: Token fields and their (short: the table must fit 80 columns) terminal headers.
_TOKEN_COLUMNS = (
    ("input_tokens", "In"), ("output_tokens", "Out"),
    ("cache_read_tokens", "Cache rd"), ("cache_write_tokens", "Cache wr"),
    ("reasoning_tokens", "Reason"),
)


class UsageKey(str, Enum):
    """What ``--by`` groups on."""

    day = "day"
    source = "source"
    model = "model"
    machine = "machine"


def usage_lines(
    source_rows: Any, keys: list[UsageKey], since: float | None, until: float | None,
    sources: list[str] | None, machines: list[str] | None, labels: dict[str, str],
) -> tuple[list[dict[str, Any]], int]:
    """One summed line per group, in key order, and how many sessions recorded nothing."""
    from ..times import to_epoch
    from ..usage import merge_records, usage_records_of

    first_day = _day(since) if since is not None else None
    last_day = _day(until) if until is not None else None
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    sessions: dict[tuple[str, ...], set[str]] = {}
    silent = 0
    for source, row in source_rows:
        if sources and source not in sources:
            continue
        machine = row_machine(row)
        if machines and machine not in machines:
            continue
        records = usage_records_of(row)
        if not records:
            active = _day(to_epoch(row.get("last_message_at"))
                          or to_epoch(row.get("updated_at")) or 0.0) or "unknown"
            if (first_day is None or active >= first_day) and (
                last_day is None or active <= last_day
            ):
                silent += 1
            continue
        # The row's own label (the agent's rows say CLI, Telegram…), else its source's.
        label = str(row.get("source_label") or labels.get(source) or source)
        for record in records:
            day = record.get("day") or "unknown"
            if (first_day is not None and day < first_day) or (
                last_day is not None and day > last_day
            ):
                continue
            values = {
                UsageKey.day: day, UsageKey.source: label,
                UsageKey.model: record.get("model") or "unknown", UsageKey.machine: machine,
            }
            group = tuple(values[key] for key in keys)
            groups.setdefault(group, []).append(record)
            sessions.setdefault(group, set()).add(str(row.get("session_id")))
    lines = []
    for group in sorted(groups):
        total = merge_records(groups[group])
        lines.append({
            **{key.value: value for key, value in zip(keys, group)},
            "sessions": len(sessions[group]),
            **total,
        })
    return lines, silent


def _day(epoch: float) -> str:
    from ..usage import usage_day

    return usage_day(epoch) or ""


def _number(value: int) -> str:
    """Compact for a terminal table (``15.4k``, ``5.00M``); pipes and JSON get exact counts."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return str(value)


@app.command("usage")
def usage_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    by: Optional[List[UsageKey]] = typer.Option(
        None, "--by", "-b", case_sensitive=False,
        help="Group by day, source, model or machine; repeatable (default: day).",
    ),
    since: Optional[str] = typer.Option(
        None, "--since", help="From this day on: 7d, today, 2026-12-01 or epoch."
    ),
    until: Optional[str] = typer.Option(None, "--until", help="Up to this day, inclusive."),
    source: Optional[List[str]] = typer.Option(
        None, "--source", "-s", metavar="NAME", autocompletion=complete_sources,
        help="Only this source's sessions; repeatable.",
    ),
    machine: Optional[List[str]] = typer.Option(
        None, "--machine", "-m", metavar="NAME", autocompletion=complete_machines,
        help="Only this machine ('local' is this one)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Tokens and cost the agents recorded, summed over every session of every source and
    profile (archived, cron, and older chats the sidebar folds away too).

    Costs are shown only where an agent recorded them; nothing is priced here."""
    keys = list(dict.fromkeys(by or [UsageKey.day]))
    since_at = parse_since(since) if since is not None else None
    until_at = parse_since(until, option="--until") if until is not None else None
    try:
        store = open_store(home, state_dir, claude_dir=claude_dir, cli_row_limit=-1,
                           extra_settings=_WHOLE_HISTORY)
        require_known("--source", tuple(source or ()), list(store.dispatcher.sources))
        labels = {name: entry.info.label for name, entry in store.dispatcher.sources.items()}
        # Every transcript is read whole for exact counts: seconds per gigabyte.
        # A file is summarised, then read whole for exact counts: the bar shows a percentage.
        with source_progress_bars(lambda name: f"reading {labels.get(name, name)}",
                                  disable=as_json, percent=True) as progress, \
                store.reporting_read_progress(progress):
            source_rows, problems = store.every_source_row()
    except HermesSessionsError as error:
        fail(str(error))
        return
    if machine:
        require_known("--machine", tuple(machine),
                      known_machines(store, (row for _, row in source_rows)))
    close_quietly(store)
    lines, silent = usage_lines(source_rows, keys, since_at, until_at, source, machine, labels)
    if as_json:
        print_json({
            "by": [key.value for key in keys],
            "lines": lines,
            "sessions_without_usage": silent,
            "problems": [p.to_dict() for p in problems],
        })
        return
    if not lines:
        out().print("No recorded usage matches." + (
            f" {silent} sessions recorded no tokens or cost." if silent else ""))
    else:
        _print_table(lines, keys)
        note = out() if out().is_terminal else err()
        one_line_each = not note.is_terminal  # a terminal wraps prose between words
        unrecorded = sum(line["messages_without_cost"] for line in lines)
        if unrecorded:
            note.print(
                f"Cost: {unrecorded} of {sum(line['messages'] for line in lines)} entries "
                "recorded none (an entry is one API message, or one session where the agent "
                "keeps only totals); no price is estimated.", highlight=False,
                soft_wrap=one_line_each,
            )
        if silent:
            note.print(f"{silent} sessions recorded no tokens or cost.", highlight=False,
                       soft_wrap=one_line_each)
    for problem in problems:
        if problem.error_type != "AgentDatabaseMissing":
            err().print(f"[yellow]warning:[/yellow] {safe(problem.describe())}", highlight=False)


def _print_table(lines: list[dict[str, Any]], keys: list[UsageKey]) -> None:
    """Piped: every column, tab-separated. In a terminal: token columns that are zero on every
    line are left out, numbers never wrap, and a cost nobody recorded is a dash."""
    import sys

    if not out().is_terminal:
        headers = [key.value for key in keys] + ["sessions"] + [
            name for name, _ in _TOKEN_COLUMNS] + ["cost", "entries_without_cost"]
        rows = (
            [str(line[key.value]) for key in keys] + [str(line["sessions"])]
            + [str(line[name]) for name, _ in _TOKEN_COLUMNS]
            + ["" if line["cost"] is None else f"{line['cost']:.6f}",
               str(line["messages_without_cost"])]
            for line in lines
        )
        sys.stdout.write("\t".join(headers) + "\n")
        sys.stdout.write("".join("\t".join(row) + "\n" for row in rows))
        sys.stdout.flush()
        return
    from rich.table import Table

    tokens = [(name, title) for name, title in _TOKEN_COLUMNS
              if any(line[name] for line in lines)]
    table = Table(title="Recorded usage", title_justify="left")
    for key in keys:
        table.add_column(key.value.capitalize(), overflow="fold", min_width=10)
    for title in ["Sess", *(title for _, title in tokens), "Cost"]:
        table.add_column(title, justify="right", no_wrap=True)
    if len(lines) > 1:
        from ..usage import merge_records

        total = merge_records(lines)
        total["sessions"] = sum(line["sessions"] for line in lines)
        lines = [*lines, {**{key.value: "Total" if i == 0 else "" for i, key in
                             enumerate(keys)}, **total}]
        table.show_footer = False
    for index, line in enumerate(lines):
        if index == len(lines) - 1 and len(lines) > 1 and line.get(keys[0].value) == "Total":
            table.add_section()
        cost = "-" if line["cost"] is None else f"${line['cost']:,.2f}" + (
            "*" if line["messages_without_cost"] else "")
        table.add_row(
            *(safe(str(line[key.value])) for key in keys), _number(line["sessions"]),
            *(_number(line[name]) for name, _ in tokens), cost,
        )
    out().print(table)
    out().print("Tokens: in, out, cache read, cache write, reasoning.", highlight=False)
    out().print("Cost: - none recorded, * some entries recorded none.", highlight=False)
