"""``doctor`` and ``repair``: the read-only audit and the safe repairs of the Web UI store.

Exit codes: 0 when the store is healthy (doctor) or fully repaired (repair), 1 otherwise.
Progress goes to stderr, so ``--json`` output stays clean.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

import typer

from ..errors import HermesSessionsError
from .app import (
    HomeOption,
    JsonOption,
    SessionsUrlOption,
    StateDirOption,
    app,
    err,
    fail,
    open_store,
    out,
    print_json,
    safe,
)

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["doctor_command", "repair_command"]

_STATUS_STYLE = {"ok": "green", "warn": "yellow", "needs_manual_review": "red"}


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, shown only once a scan is large enough to wait for."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err(), transient=True)
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if total < 200:
            return
        if task is None:
            bar.start()
            task = bar.add_task(label, total=total)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def _findings_table(title: str, findings: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("Kind")
    table.add_column("Session")
    table.add_column("Detail", overflow="fold")
    for finding in findings:
        detail = ", ".join(
            f"{k}={v}" for k, v in finding.items() if k not in ("kind", "session_id")
        )
        table.add_row(safe(finding["kind"]), safe(finding["session_id"]), safe(detail))
    return table


def _print_audit(report: dict[str, Any]) -> None:
    status = report["status"]
    summary = report["summary"]
    out().print(
        f"Status: [{_STATUS_STYLE.get(status, 'white')}]{status}[/]  "
        f"({summary['ok']} healthy session files, {summary['repairable']} repairable, "
        f"{summary['unsafe']} need manual review, {summary['reported']} reported)"
    )
    for key, title in (("repairable", "Repairable (run `hermes-sessions repair`)"),
                       ("unsafe", "Needs manual review (left alone by repair)"),
                       ("reported", "Reported only")):
        if report[key]:
            out().print(_findings_table(title, report[key]))


@app.command("doctor")
def doctor_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    as_json: bool = JsonOption,
) -> None:
    """Audit the Web UI store without changing anything (backups, index, agent sidecars)."""
    try:
        store = open_store(home, state_dir, sessions_url)
        with _progress("Auditing sessions") as progress:
            report = store.audit(progress=progress)
    except HermesSessionsError as error:
        fail(str(error))
        return
    if as_json:
        print_json(report)
    else:
        _print_audit(report)
    if report["status"] != "ok":
        raise typer.Exit(1)


@app.command("repair")
def repair_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    as_json: bool = JsonOption,
) -> None:
    """Apply the safe repairs only (restore backups, rebuild the index, materialise
    agent-only sessions) and say what was done; unsafe findings are left alone."""
    try:
        store = open_store(home, state_dir, sessions_url)
        with _progress("Repairing sessions") as progress:
            report = store.repair_safe(progress=progress)
        store.close()
    except HermesSessionsError as error:
        fail(str(error))
        return
    if as_json:
        print_json(report)
    else:
        if report["repaired"]:
            for item in report["repaired"]:
                extra = f" ({item['messages']} messages)" if "messages" in item else ""
                out().print(
                    f"- {item['action']}: {safe(item['session_id'])}{extra}", highlight=False
                )
        else:
            out().print("Nothing to repair.")
        _print_audit(report["after"])
    if not report["ok"]:
        raise typer.Exit(1)
