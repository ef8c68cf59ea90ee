"""Every session the configured places hold, with its id; what a file could not give becomes
a Problem. The listing and the loads both start here, so they agree on every id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hermes_sessions_core.models import Problem

from .discovery import find_history_files
from .ids import assign_ids, is_session_id
from .settings import MAX_READ_BYTES, SOURCE_NAME, HistoryPlaces
from .summary import SessionSummary, cached_history

__all__ = ["CatalogueEntry", "catalogue", "find_session"]


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    session_id: str
    path: Path
    summary: SessionSummary


def catalogue(places: HistoryPlaces, hook: str) -> tuple[list[CatalogueEntry], list[Problem]]:
    files, problems = find_history_files(places, hook)
    sessions: list[tuple[Path, str, tuple[Path, SessionSummary]]] = []
    for path, status in files:
        try:
            history = cached_history(path, status)
        except (OSError, ValueError) as error:
            problems.append(Problem.from_exception(SOURCE_NAME, hook, error, path=str(path)))
            continue
        problems.extend(_notes_on(history.skipped_bytes, history.bad_headers,
                                  not history.sessions and status.st_size > 0, path, hook))
        sessions.extend((path, item.block.started, (path, item)) for item in history.sessions
                        if item.user_message_count)  # Aider started and left: nothing said
    entries = [CatalogueEntry(session_id, path, summary)
               for session_id, (path, summary) in assign_ids(sessions)]
    return entries, problems


def find_session(places: HistoryPlaces, session_id: str, hook: str) -> CatalogueEntry | None:
    """The session with this id, or ``None``; an id not of our shape never touches the disk."""
    if not is_session_id(session_id):
        return None
    entries, _problems = catalogue(places, hook)
    return next((entry for entry in entries if entry.session_id == session_id), None)


def _notes_on(skipped: int, bad_headers: int, no_session: bool, path: Path,
              hook: str) -> list[Problem]:
    """What a readable file still did not give: it is said, so nothing is missed silently."""
    problems = []
    if skipped:
        problems.append(Problem(
            SOURCE_NAME, hook, "FileTooLarge",
            f"only the last {MAX_READ_BYTES // (1024 * 1024)} MiB read; sessions in the first "
            f"{skipped} bytes are not listed", path=str(path)))
    if bad_headers:
        problems.append(Problem(
            SOURCE_NAME, hook, "ValueError",
            f"{bad_headers} session header(s) with an impossible time skipped", path=str(path)))
    elif no_session:
        problems.append(Problem(
            SOURCE_NAME, hook, "ValueError",
            "no '# aider chat started at' line: not an Aider chat history", path=str(path)))
    return problems
