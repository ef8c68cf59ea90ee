"""Startup recovery, the read-only audit and safe repair of a session folder (S2.21-S2.25).

Backups are compared with live files by message count and shrink generation: a backup wins
only if it holds more messages and was taken in the same or a later generation, so deliberate
clears and truncations stay done (S2.20). Orphan backups are restored only when the agent
store still knows the id (or cannot tell), never for tombstoned ids. A clean folder is left
byte-identical.

A file that cannot be read at all (a FIFO or other special file, one over the read limit, one
the OS refuses) is never opened blocking, never restored from and never restored over: the
audit reports it with the cause.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import StorageError
from hermes_sessions_core.hookspecs import MaintenanceRequest
from hermes_sessions_core.models import is_valid_session_id

from .session_files import SessionFiles, _recorded_count

__all__ = ["recover_on_startup", "audit", "repair_safe", "maintain"]

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


def recover_on_startup(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Restore shrunken live files and safe orphan backups; rebuild the index if anything
    changed (S2.21, S2.22). Returns ``{scanned, restored, orphaned_backups, details}``."""
    _, _, scanned, restore = _classify_backups(files, request)
    details = []
    orphaned = 0
    live, _ = _inventory(files)
    restored = 0
    for session_id, backup in restore:
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
    dead = files.dead_writers()
    for marker in dead:
        details.append({"session_id": "*", "action": "index_rebuilt",
                        "reason": f"unclean shutdown ({marker.rsplit('/', 1)[-1]})"})
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


def repair_safe(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Restore backups, materialise missing files, rebuild, and audit again (S2.24, S2.25).

    Unsafe findings are left alone. ``ok`` is true when nothing repairable or unsafe is left.
    """
    before = audit(files, request)
    repaired: list[dict[str, Any]] = []
    recovered = recover_on_startup(files, request)
    repaired.extend(recovered["details"])
    live, _ = _inventory(files)
    tombstones = files.tombstones()
    for profile in request.profiles:
        for session in request.agent_sidecars(profile):
            session_id = session.session_id
            if session_id in live or session_id in tombstones or not session.messages:
                continue
            if files.folder.info(f"{session_id}{_LIVE}") is not None:
                continue  # created only if absent (#2053)
            if not session.title or session.title == "Untitled":
                session.title = _RECOVERED_TITLE
            session.model = session.model or "unknown"
            session.read_only = False
            files.save(session, skip_index=True)
            live.add(session_id)
            repaired.append({"session_id": session_id, "action": "materialised",
                             "messages": len(session.messages)})
    index_findings = [f for f in before["repairable"] if f["kind"].startswith("index_missing")]
    if repaired or index_findings:
        files.rebuild()
        if index_findings:
            repaired.append({"session_id": "*", "action": "index_rebuilt"})
    after = audit(files, request)
    return {"ok": not after["repairable"] and not after["unsafe"], "repaired": repaired,
            "before": before, "after": after}


def reindex(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    """Rebuild ``_index.json`` from the session files alone (S2.9), as after outside changes."""
    problems: list[Any] = []
    rows = files.rebuild(problems=problems)
    return {"ok": not problems, "rows": len(rows), "problems": [p.to_dict() for p in problems]}


_ACTIONS: dict[str, Callable[[SessionFiles, MaintenanceRequest], dict[str, Any]]] = {
    "recover": recover_on_startup,
    "audit": audit,
    "repair": repair_safe,
    "reindex": reindex,
}


def maintain(files: SessionFiles, request: MaintenanceRequest) -> dict[str, Any]:
    try:
        action = _ACTIONS[request.action]
    except KeyError:
        raise ValueError(
            f"unknown maintenance action {request.action!r}; use recover, audit, repair or reindex"
        ) from None
    return action(files, request)
