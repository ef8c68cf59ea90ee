"""What each audit finding means, in words, and what ``repair`` does about it.

The one place these texts live: ``doctor`` and ``repair`` print them, their ``--json`` output
carries them (``explanation``, ``severity``), and docs/maintenance.md repeats them for readers
without the command at hand (a test keeps the two in step).

The store sorts findings by what a repair may do (S2.23: repairable, unsafe, reported). A
person asks something else: is my home damaged? So each kind also has a *severity*:

- ``problem``: something is wrong now and ``repair`` puts it right;
- ``review``: something may be wrong, and ``repair`` leaves it alone on purpose: look by hand;
- ``info``: a normal state of a healthy home, said for completeness; nothing to do.

Only ``problem`` and ``review`` findings make ``doctor`` report the home as unhealthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = [
    "SEVERITIES", "FindingKind", "KINDS", "ACTIONS", "describe", "explain_audit", "is_healthy",
]

#: Severities from the most to the least urgent.
SEVERITIES = ("problem", "review", "info")


@dataclass(frozen=True)
class FindingKind:
    """One finding kind: what it means, whether it harms, what ``repair`` does about it."""

    kind: str
    severity: str
    meaning: str
    harm: str
    repair: str

    @property
    def explanation(self) -> str:
        return f"{self.meaning} {self.harm} {self.repair}"


_KINDS = (
    FindingKind(
        "shrunken_live", "problem",
        "The session file holds fewer messages than its backup (<id>.json.bak) from the same "
        "or a later shrink generation, so a save dropped messages that no clear, truncate, "
        "retry or undo asked to drop.",
        "Harmful: the Web UI shows the shorter conversation.",
        "repair copies the backup back over the file (an unreadable file is first kept "
        "aside as <id>.json.corrupt.<time>) and rebuilds the index.",
    ),
    FindingKind(
        "orphan_backup", "problem",
        "Only the backup of this session is left (<id>.json.bak without <id>.json), and the "
        "agent store still has the session or cannot tell: the file was lost, for example "
        "by a crash during a save.",
        "Harmful: the session is missing from the Web UI.",
        "repair restores the backup as <id>.json and rebuilds the index.",
    ),
    FindingKind(
        "index_missing_entry", "problem",
        "A session file that the sidebar index (_index.json) does not list; '*' means there "
        "is no readable index at all.",
        "The Web UI sidebar may not show that session until the index is rebuilt; nothing "
        "is lost, the index is derived from the files.",
        "repair rebuilds the index from the session files.",
    ),
    FindingKind(
        "index_missing_file", "problem",
        "The sidebar index lists a session whose file is gone (deleted or moved outside "
        "the Web UI).",
        "Harmless to data: listings skip such rows, but the index is out of date.",
        "repair rebuilds the index from the session files.",
    ),
    FindingKind(
        "unreadable_live", "review",
        "A session file that cannot be read: it is not valid JSON, not a JSON object, or "
        "not a regular readable file (the cause and path are shown).",
        "Harmful: the Web UI cannot open this session.",
        "repair replaces it only from a readable backup holding more messages (then it is "
        "also listed as shrunken_live); otherwise it leaves the file alone: open it, fix it "
        "or move it aside.",
    ),
    FindingKind(
        "orphan_backup_without_state_row", "review",
        "A backup without its session file, for a session the agent store no longer has: "
        "most likely the session was deleted and this backup is what is left of it.",
        "Harmless unless you still want that conversation.",
        "repair leaves it alone so that a deleted session never comes back; restore it by "
        "hand (copy it to <id>.json) if you want it, or delete the backup.",
    ),
    FindingKind(
        "malformed_orphan_backup", "review",
        "A backup without its session file that is not a readable JSON object (a torn or "
        "damaged write).",
        "It may still hold text worth saving.",
        "repair never restores a malformed backup; open it by hand, keep what you need, "
        "then delete it.",
    ),
    FindingKind(
        "state_db_missing_sidecar", "info",
        "The agent store has a session started in the Web UI (source 'webui') with messages, "
        "and there is no Web UI file for it here. Normal when the Web UI renamed the file "
        "after a context compression, when the Web UI keeps its sessions in another state "
        "dir, or when the file was deleted by hand.",
        "Not harmful: the conversation is safe in the agent's state.db and is listed from "
        "there.",
        "repair can write a Web UI file for it from state.db (materialise; created only if "
        "absent); skip that if the Web UI uses another state dir, or you get copies.",
    ),
    FindingKind(
        "state_db_orphan_webui_row", "info",
        "The agent store has a Web UI (source 'webui') row without any messages and there "
        "is no Web UI file for it here: a usage record the Web UI keeps in state.db, or a "
        "Web UI session that never got a message.",
        "Not harmful: state.db holds no conversation for it, so nothing is lost or hidden.",
        "repair leaves it alone: there is nothing to rebuild a file from.",
    ),
)

#: Every finding kind the built-in Web UI store reports (S2.23), by name.
KINDS: dict[str, FindingKind] = {entry.kind: entry for entry in _KINDS}

#: What each planned repair action does, in words (see recovery.plan in json_fs).
ACTIONS: dict[str, str] = {
    "restore": "restore from its backup",
    "materialise": "write a Web UI file from the agent store",
    "rebuild_index": "rebuild the sidebar index (_index.json) from the session files",
}

#: Severity of a kind no entry explains (another writable store's), from its audit group.
_SEVERITY_OF_GROUP = {"repairable": "problem", "unsafe": "review", "reported": "review"}
_UNKNOWN_REPAIR = {
    "repairable": "repair applies the store's own fix for it.",
    "unsafe": "repair leaves it alone; look at it by hand.",
    "reported": "repair leaves it alone; look at it by hand.",
}


def describe(kind: str, group: str) -> FindingKind:
    """The entry for ``kind``; a kind from another writable store gets a generic one."""
    known = KINDS.get(kind)
    if known is not None:
        return known
    return FindingKind(
        kind, _SEVERITY_OF_GROUP.get(group, "review"),
        f"The Web UI store reported '{kind}', a finding this command has no text for.",
        "See the documentation of the plugin that stores the Web UI sessions.",
        _UNKNOWN_REPAIR.get(group, _UNKNOWN_REPAIR["reported"]),
    )


def explain_audit(report: Mapping[str, Any]) -> dict[str, Any]:
    """The audit report with ``severity`` and ``explanation`` added to every finding and
    ``healthy`` at the top; every existing key is kept as it was."""
    explained = dict(report)
    for group in ("repairable", "unsafe", "reported"):
        findings = []
        for finding in report.get(group, ()):
            entry = describe(str(finding.get("kind")), group)
            findings.append({**finding, "severity": entry.severity,
                             "explanation": entry.explanation})
        explained[group] = findings
    explained["healthy"] = is_healthy(explained)
    return explained


def is_healthy(report: Mapping[str, Any]) -> bool:
    """True when no finding is a ``problem`` or needs ``review``: ``info`` findings are the
    normal states of a healthy home."""
    for group in ("repairable", "unsafe", "reported"):
        for finding in report.get(group, ()):
            if describe(str(finding.get("kind")), group).severity != "info":
                return False
    return True
