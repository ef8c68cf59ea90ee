"""``doctor`` and ``repair``: the read-only audit and the safe repairs of the Web UI store.

Findings are grouped by kind, each kind explained once in words (:mod:`.findings`), with the
first few ids (``--all`` lists every one). ``repair`` first prints its plan, which writes
nothing, and applies it only once approved: ``--yes``, or "y" at the prompt on a terminal.

Exit codes (docs/maintenance.md): ``doctor`` 0 when healthy (no finding is a problem or needs
review; informational findings do not count), 1 otherwise. ``repair`` 0 when nothing was to
be done, after ``--dry-run``, or once every planned repair was applied and no problem is left;
1 when a repair failed, a problem is left, or the prompt was declined; 2 when it would have to
ask but cannot (stdin is not a terminal, or ``--json``) and ``--yes`` was not given. Opening
the store failing is 1; bad options are 2. Progress goes to stderr, so ``--json`` stays clean.
"""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional

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
from .findings import ACTIONS, SEVERITIES, describe, explain_audit

__all__ = ["doctor_command", "repair_command"]

#: Ids shown per kind before "... and N more" (``--all`` shows every one).
_FIRST_IDS = 5
_GROUPS = ("repairable", "unsafe", "reported")
_HEADINGS = {
    "problem": "Needs repair (`hermes-sessions repair` fixes these)",
    "review": "Needs review (repair leaves these alone; look at them by hand)",
    "info": "For information (normal on a healthy home; nothing to do)",
}

AllOption = typer.Option(False, "--all", "-a", help="List every session id, not the first few.")


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


# ── text output ──────────────────────────────────────────────────────────────────────────


def _say(text: str = "", style: str | None = None) -> None:
    """One line of data, never markup; ``style`` colours it on a terminal only."""
    out().print(safe(text) if style is None else f"[{style}]{safe(text)}[/]", highlight=False)


def _wrapped(text: str, indent: int) -> None:
    width = max(40, min(out().width, 100))
    for line in textwrap.wrap(text, width=width - indent, break_on_hyphens=False,
                              break_long_words=False):
        _say(" " * indent + line)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _per_profile(findings: list[Mapping[str, Any]]) -> str:
    """``default 54, work 38`` when findings span several profiles, else ``""``."""
    counts = Counter(str(f["profile"]) for f in findings if f.get("profile") is not None)
    if len(counts) < 2:
        return ""
    return ", ".join(f"{profile} {n}" for profile, n in sorted(counts.items()))


def _detail(finding: Mapping[str, Any]) -> str:
    skip = ("kind", "session_id", "severity", "explanation", "action", "finding")
    return ", ".join(f"{k}={v}" for k, v in finding.items() if k not in skip)


def _ids(findings: list[Mapping[str, Any]], show_all: bool, with_detail: bool,
         indent: int) -> None:
    """The first few ids (every one with ``--all``); details one per line where they matter."""
    shown = findings if show_all else findings[:_FIRST_IDS]
    if with_detail:
        for finding in shown:
            detail = _detail(finding)
            _wrapped(f"{finding['session_id']}" + (f"  {detail}" if detail else ""), indent)
    else:
        _wrapped("  ".join(str(f["session_id"]) for f in shown), indent)
    hidden = len(findings) - len(shown)
    if hidden:
        _say(" " * indent + f"... and {hidden} more (--all lists every id)")


def _by_severity(report: Mapping[str, Any]) -> dict[str, dict[str, list[Mapping[str, Any]]]]:
    """Findings as severity → kind → findings, kinds in the order the audit met them."""
    grouped: dict[str, dict[str, list[Mapping[str, Any]]]] = {s: {} for s in SEVERITIES}
    for group in _GROUPS:
        for finding in report.get(group, ()):
            entry = describe(str(finding["kind"]), group)
            grouped[entry.severity].setdefault(entry.kind, []).append(finding)
    return grouped


def _print_findings(report: Mapping[str, Any], show_all: bool) -> None:
    """Each kind once: its count, its explanation, what repair does, then the ids."""
    for severity, kinds in _by_severity(report).items():
        if not kinds:
            continue
        _say()
        _say(_HEADINGS[severity] + ":", "bold")
        for kind, findings in kinds.items():
            entry = describe(kind, _group_of(report, kind))
            _say()
            profiles = _per_profile(findings)
            _say(f"{kind}: {len(findings)}" + (f" ({profiles})" if profiles else ""))
            _wrapped(f"{entry.meaning} {entry.harm}", 2)
            _wrapped(entry.repair[:1].upper() + entry.repair[1:], 2)
            _ids(findings, show_all, with_detail=severity == "review", indent=4)


def _group_of(report: Mapping[str, Any], kind: str) -> str:
    for group in _GROUPS:
        if any(f.get("kind") == kind for f in report.get(group, ())):
            return group
    return "reported"


def _counts(report: Mapping[str, Any]) -> Counter[str]:
    return Counter(
        describe(str(f["kind"]), group).severity for group in _GROUPS for f in report.get(group, ())
    )


def _print_verdict(report: Mapping[str, Any]) -> None:
    counts = _counts(report)
    if not counts["problem"] and not counts["review"]:
        note = f" ({_plural(counts['info'], 'finding')} for information)" if counts["info"] else ""
        _say(f"Healthy: nothing needs repair or review{note}.", "green")
        return
    if counts["problem"]:
        _say(f"Needs repair: {_plural(counts['problem'], 'finding')}; "
             "`hermes-sessions repair` fixes them.", "yellow")
    if counts["review"]:
        _say(f"Needs review: {_plural(counts['review'], 'finding')} that repair leaves alone.",
             "red")


def _print_where(store: Any, report: Mapping[str, Any]) -> None:
    """Where the audit looked: a wrong state dir explains many agent-only findings."""
    locations = store.locations
    readable = report.get("summary", {}).get("ok", 0)
    _say(f"Web UI sessions: {locations.sessions_url} ({_plural(readable, 'readable file')})")
    stores = []
    for profile in locations.known_profiles():
        path = locations.state_db(profile)
        if path.exists():
            stores.append(f"{profile}: {path}")
    if stores:
        _say("Agent stores:    " + stores[0])
        for line in stores[1:]:
            _say("                 " + line)
    else:
        _say("Agent stores:    none")
    _note_empty_folder(report)


def _note_empty_folder(report: Mapping[str, Any]) -> None:
    """Agent-only Web UI sessions and no Web UI file at all: likely the wrong state dir."""
    agent_only = any(
        f.get("kind") == "state_db_missing_sidecar" for f in report.get("repairable", ())
    )
    if agent_only and not report.get("summary", {}).get("ok", 0):
        _wrapped(
            "Note: no Web UI session files here at all. If the Web UI keeps its sessions in "
            "another folder, rerun with --state-dir (or set HERMES_WEBUI_STATE_DIR) before "
            "repairing, or repair writes copies into this one.", 0,
        )


# ── doctor ───────────────────────────────────────────────────────────────────────────────


@app.command("doctor")
def doctor_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    as_json: bool = JsonOption,
    show_all: bool = AllOption,
) -> None:
    """Audit the Web UI store without changing anything, and explain each finding.

    Exit 0 when healthy (informational findings do not count), 1 otherwise.
    """
    try:
        store = open_store(home, state_dir, sessions_url)
        with _progress("Auditing sessions") as progress:
            report = explain_audit(store.audit(progress=progress))
    except HermesSessionsError as error:
        fail(str(error))
        return
    if as_json:
        print_json(report)
    else:
        _print_where(store, report)
        _say()
        _print_verdict(report)
        _print_findings(report, show_all)
    if not report["healthy"]:
        raise typer.Exit(1)


# ── repair ───────────────────────────────────────────────────────────────────────────────


def _stdin_is_terminal() -> bool:
    """Whether a person can answer the prompt (tests replace this)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # no stdin, or a closed one
        return False


def _repair_count(plan: Mapping[str, Any]) -> int:
    return len(plan["actions"])


def _print_plan(store: Any, plan: Mapping[str, Any], show_all: bool) -> None:
    """One line per action kind with counts and the first few ids; what is left alone."""
    _say(f"Repair plan for {store.locations.sessions_url}:", "bold")
    by_action: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for action in plan["actions"]:
        by_action.setdefault(action["action"], {}).setdefault(
            str(action.get("finding", "")), []).append(action)
    for name, by_finding in by_action.items():
        for finding, actions in by_finding.items():
            if name == "rebuild_index":
                _say(f"- {ACTIONS[name]}")
                _wrapped("because of: " + "; ".join(actions[0].get("reasons", ())), 4)
                continue
            words = ACTIONS.get(name, name)
            _say(f"- {name} {_plural(len(actions), 'session')}: {words}")
            profiles = _per_profile(actions)
            _say(f"    ({finding}" + (f"; {profiles})" if profiles else ")"))
            _ids(actions, show_all, with_detail=False, indent=4)
    left = _by_severity(plan["audit"])
    alone = [
        f"{len(findings)} {kind}"
        for severity in ("review", "info") for kind, findings in left[severity].items()
        if kind not in {a.get("finding") for a in plan["actions"]}
    ]
    if alone:
        _wrapped("Left alone: " + ", ".join(alone) + " (`hermes-sessions doctor` explains "
                 "them).", 0)
    _note_empty_folder(plan["audit"])


def _print_result(report: Mapping[str, Any]) -> bool:
    """What was done, what failed; True when every planned repair went through."""
    done = Counter(item["action"] for item in report["repaired"])
    parts = [f"{done[a]} {a}" for a in ("restored", "materialised") if done[a]]
    if done["index_rebuilt"]:
        parts.append("index rebuilt")
    _say("Done: " + (", ".join(parts) if parts else "nothing changed") + ".")
    if done["not_needed"]:
        _say(f"{_plural(done['not_needed'], 'planned repair')} no longer needed "
             "(changed since the plan).")
    failed = [item for item in report["repaired"] if item["action"] == "skipped"]
    for item in failed:
        _say(f"Could not restore {item['session_id']}: {item.get('reason', '')}", "red")
    return not failed


def _plan_json(plan: Mapping[str, Any], applied: bool) -> dict[str, Any]:
    return {"applied": applied, "plan": {"actions": list(plan["actions"]),
                                         "audit": explain_audit(plan["audit"])}}


@app.command("repair")
def repair_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    as_json: bool = JsonOption,
    show_all: bool = AllOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply the plan without asking."),
    dry_run: bool = typer.Option(
        False, "--dry-run", "-n", help="Print the plan and change nothing."
    ),
) -> None:
    """Print the plan of safe repairs (restore backups, materialise agent-only Web UI
    sessions, rebuild the index), then apply it once approved; unsafe findings are left alone.

    Asks on a terminal; elsewhere pass --yes (or --dry-run). Exit 0 when done or nothing to
    do, 1 if a repair failed or the prompt was declined, 2 if it could not ask.
    """
    try:
        store = open_store(home, state_dir, sessions_url)
        with _progress("Planning repairs") as progress:
            plan = store.repair_plan(progress=progress)
    except HermesSessionsError as error:
        fail(str(error))
        return
    count = _repair_count(plan)
    if not count or dry_run:
        if as_json:
            print_json(_plan_json(plan, applied=False))
        elif not count:
            _say("Nothing to repair.")
            _print_verdict(plan["audit"])
        else:
            _print_plan(store, plan, show_all)
            _say("Dry run: nothing was changed.")
        return
    if not as_json:
        _print_plan(store, plan, show_all)
    if not yes:
        if as_json or not _stdin_is_terminal():
            if as_json:
                print_json(_plan_json(plan, applied=False))
            err().print(f"Nothing was changed: rerun with --yes to apply "
                        f"{_plural(count, 'repair')} (or --dry-run to only see the plan).",
                        highlight=False)
            raise typer.Exit(2)
        if not typer.confirm(f"Apply {_plural(count, 'repair')}?", default=False):
            _say("Nothing was changed.")
            raise typer.Exit(1)
    try:
        with _progress("Repairing sessions") as progress:
            report = store.repair_safe(progress=progress, plan=plan)
        store.close()
    except HermesSessionsError as error:
        fail(str(error))
        return
    after = explain_audit(report["after"])
    succeeded = True
    if as_json:
        print_json({**report, "before": explain_audit(report["before"]), "after": after,
                    **_plan_json(plan, applied=True)})
        succeeded = not any(item["action"] == "skipped" for item in report["repaired"])
    else:
        succeeded = _print_result(report)
        _print_verdict(after)
    if not succeeded or _counts(after)["problem"]:
        raise typer.Exit(1)
