"""Startup recovery, the read-only audit and safe repair of a session folder (S2.21-S2.25).

Backups are compared with live files by message count and shrink generation: a backup wins
only if it holds more messages and was taken in the same or a later generation, so deliberate
clears and truncations stay done (S2.20). Orphan backups are restored only when the agent
store still knows the id (or cannot tell), never for tombstoned ids. A clean folder is left
byte-identical.

A file that cannot be read at all (a FIFO or other special file, one over the read limit, one
the OS refuses) is never opened blocking, never restored from and never restored over: the
audit reports it with the cause.

``plan`` is the audit turned into the list of actions ``repair`` would take, written nothing;
``repair`` given that plan applies only those actions, so a person approves exactly what runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.hookspecs import MaintenanceRequest
from hermes_sessions_core.models import is_valid_session_id

from .session_files import SessionFiles, _recorded_count

__all__ = ["recover_on_startup", "audit", "plan", "repair_safe", "maintain"]

logger = logging.getLogger(__name__)

_LIVE = ".json"
_BACKUP = ".json.bak"
_UNREADABLE = -1  # the file does not parse as an object (S2.21: counts as -1)
_INACCESSIBLE = -2  # the file cannot be read at all: special, too large, refused by the OS
_RECOVERED_TITLE = "Recovered WebUI Session"


@dataclass
class _Copy:
    """One live file or backup as recovery sees it."""

    count: int  # messages, -1 when the file does not parse as an object, -2 if unreadable
    generation: int
    profile: str | None
    data: bytes | None
    cause: str = ""


def _generation(record: dict[str, Any]) -> int:
    value = record.get("intentional_shrink_generation")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _read_copy(files: SessionFiles, name: str, *, need_generation: bool) -> _Copy | None:
    """Count messages cheaply from the metadata prefix when only the count is needed."""
    try:
        head = files.folder.read_head(name, 4096)
    except StorageError as error:
        return _Copy(_INACCESSIBLE, 0, None, None, str(error))
    if head is None:
        return None
    if not need_generation:
        recorded = _recorded_count(head)
        if recorded is not None:
            return _Copy(recorded, 0, None, None)
    try:
        data = files.folder.read(name)
    except StorageError as error:
        return _Copy(_INACCESSIBLE, 0, None, None, str(error))
    if data is None:
        return None
    try:
        record = jsoncodec.loads(data)
    except (ValueError, RecursionError):
        return _Copy(_UNREADABLE, 0, None, data, "does not parse as JSON")
    if not isinstance(record, dict):
        return _Copy(_UNREADABLE, 0, None, data, "is not a JSON object")
    messages = record.get("messages")
    count = len(messages) if isinstance(messages, list) else 0
    profile = record.get("profile") if isinstance(record.get("profile"), str) else None
    return _Copy(count, _generation(record), profile, data)


def _inventory(files: SessionFiles) -> tuple[set[str], set[str]]:
    live: set[str] = set()
    backups: set[str] = set()
    for name in files.folder.names():
        if name.startswith("_"):
            continue  # store files are never sessions (S2.1)
        if name.endswith(_BACKUP):
            session_id = name[: -len(_BACKUP)]
            if is_valid_session_id(session_id):
                backups.add(session_id)
        elif name.endswith(_LIVE):
            session_id = name[: -len(_LIVE)]
            if is_valid_session_id(session_id):
                live.add(session_id)
    return live, backups


@dataclass
class _Finding:
    kind: str
    session_id: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "session_id": self.session_id, **self.detail}


def _classify_backups(
    files: SessionFiles, request: MaintenanceRequest
) -> tuple[list[_Finding], list[_Finding], int, list[tuple[str, _Copy]]]:
    """Repairable and unsafe backup findings, the files scanned, and what to restore."""
    live, backups = _inventory(files)
    tombstones = files.tombstones()
    repairable: list[_Finding] = []
    unsafe: list[_Finding] = []
    restore: list[tuple[str, _Copy]] = []
    orphans: dict[str, _Copy] = {}
    total = len(live) + len(backups - live)
    done = 0
    for session_id in sorted(backups):
        done += 1
        _report(request, done, total)
        backup = _read_copy(files, f"{session_id}{_BACKUP}", need_generation=True)
        if backup is None:
            continue
        if session_id in live:
            current = _read_copy(files, f"{session_id}{_LIVE}", need_generation=True)
            if current is None or backup.count < 0 or current.count == _INACCESSIBLE:
                continue  # malformed backups are never restored (S2.21), nor over a special file
            if backup.count > current.count and backup.generation >= current.generation:
                repairable.append(_Finding("shrunken_live", session_id, {
                    "live_messages": current.count, "backup_messages": backup.count}))
                restore.append((session_id, backup))
            continue
        if session_id in tombstones:
            continue  # deleted on purpose: never resurrected (S2.26)
        if backup.count < 0:
            unsafe.append(_Finding("malformed_orphan_backup", session_id, {"cause": backup.cause}))
            continue
        orphans[session_id] = backup
    by_profile: dict[str, set[str]] = {}
    for session_id, backup in orphans.items():
        by_profile.setdefault(backup.profile or "default", set()).add(session_id)
    for profile, ids in sorted(by_profile.items()):
        known = request.agent_has_sessions(profile, frozenset(ids))
        for session_id in sorted(ids):
            backup = orphans[session_id]
            if known is not None and not known.get(session_id, False):
                unsafe.append(_Finding("orphan_backup_without_state_row", session_id, {
                    "backup_messages": backup.count, "profile": profile}))
                continue
            repairable.append(_Finding("orphan_backup", session_id, {
                "backup_messages": backup.count, "profile": profile,
                "agent_store": "has the row" if known is not None else "unavailable (fail open)"}))
            restore.append((session_id, backup))
    for done_live, _ in enumerate(sorted(live - backups), start=done + 1):
        _report(request, done_live, total)
    return repairable, unsafe, total, restore


def _report(request: MaintenanceRequest, done: int, total: int) -> None:
    if request.progress is not None:
        request.progress(done, total)


def _restore(files: SessionFiles, session_id: str, backup: _Copy) -> None:
    """Put a backup back by atomic copy; an unreadable live file is kept aside first, and a
    live file that cannot be read at all (a StorageError) is left as it is."""
    name = f"{session_id}{_LIVE}"
    with files.locked(session_id):  # a save elsewhere then merges with the restored copy
        previous = files.folder.read(name)
        if previous is not None:
            try:
                jsoncodec.loads(previous)
            except (ValueError, RecursionError):
                files.folder.write(f"{name}.corrupt.{int(time.time())}", previous)
        assert backup.data is not None
        files.folder.write(name, backup.data)


def _allows(allowed: frozenset[tuple[str, str]] | None, action: str, session_id: str) -> bool:
    """``allowed`` is ``None`` (every safe repair) or the ``(action, id)`` pairs of a plan."""
    return allowed is None or (action, session_id) in allowed


def _restore_backups(
    files: SessionFiles, request: MaintenanceRequest,
    allowed: frozenset[tuple[str, str]] | None = None,
) -> tuple[int, list[dict[str, Any]], int, int]:
    """Restore what the classification allows; ``(scanned, details, restored, orphaned)``."""
    _, _, scanned, restore = _classify_backups(files, request)
    details: list[dict[str, Any]] = []
    orphaned = 0
    live, _ = _inventory(files)
    restored = 0
    for session_id, backup in restore:
        if not _allows(allowed, "restore", session_id):
            continue
        is_orphan = session_id not in live
        try:
            _restore(files, session_id, backup)
        except StorageError as error:
            details.append({"session_id": session_id, "action": "skipped", "reason": str(error)})
            logger.warning("could not restore session %s from its backup: %s", session_id, error)
            continue
        restored += 1
        orphaned += int(is_orphan)
        details.append({"session_id": session_id, "action": "restored",
                        "orphan": is_orphan, "messages": backup.count})
        logger.warning(
            "restored session %s from its backup (%d messages)", session_id, backup.count
        )
    return scanned, details, restored, orphaned


def _unclean_shutdown_reasons(dead: list[str]) -> list[str]:
    return [f"unclean shutdown ({marker.rsplit('/', 1)[-1]})" for marker in dead]


def recover_on_startup(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Restore shrunken live files and safe orphan backups; rebuild the index if anything
    changed (S2.21, S2.22). Returns ``{scanned, restored, orphaned_backups, details}``."""
    scanned, details, restored, orphaned = _restore_backups(files, request)
    dead = files.dead_writers()
    for reason in _unclean_shutdown_reasons(dead):
        details.append({"session_id": "*", "action": "index_rebuilt", "reason": reason})
    if restored or dead:
        files.rebuild()  # an index written by a killed process may lag its files
        for marker in dead:
            files.folder.remove(marker)
    return {"scanned": scanned, "restored": restored, "orphaned_backups": orphaned,
            "details": details}


def audit(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Read-only health report in three groups; writes nothing (S2.23)."""
    repairable, unsafe, _, _ = _classify_backups(files, request)
    reported: list[_Finding] = []
    live, _backups = _inventory(files)
    live_count = len(live)
    snapshot = files.index.read(missing_base_ok=True, session_files=live_count)
    if snapshot is None:
        if live:
            repairable.append(_Finding("index_missing_entry", "*", {"missing": len(live),
                                                                    "reason": "no readable index"}))
    else:
        for session_id in sorted(set(snapshot.rows) - live):
            repairable.append(_Finding("index_missing_file", session_id, {}))
        for session_id in sorted(live - set(snapshot.rows)):
            repairable.append(_Finding("index_missing_entry", session_id, {}))
    unreadable = 0
    for session_id in sorted(live):
        copy = _read_copy(files, f"{session_id}{_LIVE}", need_generation=False)
        if copy is not None and copy.count < 0:
            unreadable += 1
            reported.append(_Finding("unreadable_live", session_id, {
                "path": files.folder.path(f"{session_id}{_LIVE}"), "cause": copy.cause}))
    tombstones = files.tombstones()
    for profile in request.profiles:
        for session in request.agent_sidecars(profile):
            session_id = session.session_id
            if session_id in live or session_id in tombstones:
                continue
            if session.messages:
                repairable.append(_Finding("state_db_missing_sidecar", session_id, {
                    "profile": profile, "messages": len(session.messages)}))
            else:
                unsafe.append(
                    _Finding("state_db_orphan_webui_row", session_id, {"profile": profile})
                )
    status = "needs_manual_review" if unsafe else "warn" if repairable else "ok"
    return {
        "status": status,
        "summary": {"ok": live_count - unreadable, "repairable": len(repairable),
                    "unsafe": len(unsafe), "reported": len(reported)},
        "repairable": [f.as_dict() for f in repairable],
        "unsafe": [f.as_dict() for f in unsafe],
        "reported": [f.as_dict() for f in reported],
    }


#: The finding kinds a repair acts on, and what it does about each.
_REPAIR_OF_KIND = {
    "shrunken_live": "restore",
    "orphan_backup": "restore",
    "state_db_missing_sidecar": "materialise",
}


def plan(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """What ``repair`` would do now, computed without writing anything (S2.23, S2.24).

    Returns ``{actions, audit}``: one action per restore or materialisation, then one
    ``rebuild_index`` with its reasons; ``audit`` is the audit the plan was made from, whose
    unsafe and reported findings the repair leaves alone.
    """
    report = audit(files, request)
    actions: list[dict[str, Any]] = []
    index_kinds = 0
    for finding in report["repairable"]:
        kind = finding["kind"]
        if kind.startswith("index_missing"):
            index_kinds += 1
            continue
        action = _REPAIR_OF_KIND.get(kind)
        if action is not None:
            detail = {k: v for k, v in finding.items() if k != "kind"}
            actions.append({"action": action, "finding": kind, **detail})
    reasons = []
    if index_kinds:
        reasons.append(f"{index_kinds} index finding{'s' if index_kinds != 1 else ''}")
    if actions:
        reasons.append("files restored or materialised above")
    reasons.extend(_unclean_shutdown_reasons(files.dead_writers()))
    if reasons:
        actions.append({"action": "rebuild_index", "session_id": "*", "reasons": reasons})
    return {"actions": actions, "audit": report}


def _approved(request: MaintenanceRequest) -> frozenset[tuple[str, str]] | None:
    if request.plan is None:
        return None
    return frozenset(
        (str(action.get("action")), str(action.get("session_id")))
        for action in request.plan.get("actions", ())
        if isinstance(action, Mapping)
    )


def repair_safe(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Restore backups, materialise missing files, rebuild, and audit again (S2.24, S2.25).

    Unsafe findings are left alone. ``ok`` is true when nothing repairable or unsafe is left.
    With ``request.plan`` (from :func:`plan`) only the planned actions are applied, each only
    if it is still needed: a user approved that list, not whatever became repairable since.
    Planned actions that were no longer needed come back as ``not_needed``.
    """
    allowed = _approved(request)
    before = audit(files, request)
    _, repaired, restored, _ = _restore_backups(files, request, allowed)
    live, _ = _inventory(files)
    tombstones = files.tombstones()
    materialised = 0
    for profile in request.profiles:
        for session in request.agent_sidecars(profile):
            session_id = session.session_id
            if session_id in live or session_id in tombstones or not session.messages:
                continue
            if not _allows(allowed, "materialise", session_id):
                continue
            if files.folder.info(f"{session_id}{_LIVE}") is not None:
                continue  # created only if absent (#2053)
            if not session.title or session.title == "Untitled":
                session.title = _RECOVERED_TITLE
            session.model = session.model or "unknown"
            session.read_only = False
            files.save(session, skip_index=True)
            live.add(session_id)
            materialised += 1
            repaired.append({"session_id": session_id, "action": "materialised",
                             "messages": len(session.messages)})
    dead = files.dead_writers() if _allows(allowed, "rebuild_index", "*") else []
    index_findings = [f for f in before["repairable"] if f["kind"].startswith("index_missing")]
    rebuild_index = _allows(allowed, "rebuild_index", "*") and bool(index_findings)
    if restored or materialised or dead or rebuild_index:
        files.rebuild()  # any restore forces a rebuild (S2.22); a killed writer's index may lag
        for marker in dead:
            files.folder.remove(marker)
        for reason in _unclean_shutdown_reasons(dead):
            repaired.append({"session_id": "*", "action": "index_rebuilt", "reason": reason})
        if rebuild_index or (allowed is not None and not dead):
            # A planned rebuild is reported whenever it ran, so the plan reads as done.
            repaired.append({"session_id": "*", "action": "index_rebuilt"})
    if allowed is not None:
        done = {(_DONE_AS.get(item["action"], item["action"]), item["session_id"])
                for item in repaired}
        for action, session_id in sorted(allowed):
            if (action, session_id) not in done and action in _DONE_AS.values():
                repaired.append({"session_id": session_id, "action": "not_needed",
                                 "planned": action})
    after = audit(files, request)
    return {"ok": not after["repairable"] and not after["unsafe"], "repaired": repaired,
            "before": before, "after": after}


#: A planned action as the repair reports it once done (a failed restore is ``skipped``).
_DONE_AS = {"restored": "restore", "skipped": "restore", "materialised": "materialise",
            "index_rebuilt": "rebuild_index"}


def reindex(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Rebuild ``_index.json`` from the session files alone (S2.9), as after outside changes."""
    problems: list[Any] = []
    rows = files.rebuild(problems=problems)
    return {"ok": not problems, "rows": len(rows), "problems": [p.to_dict() for p in problems]}


_ACTIONS: dict[str, Callable[[SessionFiles, MaintenanceRequest], dict[str, Any]]] = {
    "recover": recover_on_startup,
    "audit": audit,
    "plan": plan,
    "repair": repair_safe,
    "reindex": reindex,
}


def maintain(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    try:
        action = _ACTIONS[request.action]
    except KeyError:
        raise ValueError(
            f"unknown maintenance action {request.action!r}; "
            "use recover, audit, plan, repair or reindex"
        ) from None
    return action(files, request)
