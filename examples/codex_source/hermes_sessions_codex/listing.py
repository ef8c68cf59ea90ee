"""The sidebar rows of the newest rollouts; a file that cannot be read becomes a Problem."""

from __future__ import annotations

from pathlib import Path

from hermes_sessions_core.models import Problem, SessionRow, SourceListing

from .discovery import rollout_files, session_id_for
from .rows import row_fields
from .settings import SOURCE_NAME
from .summary import NotARollout, cached_summary

__all__ = ["list_rollouts"]

_HOOK = "hermes_sessions_list_rows"


def list_rollouts(root: Path, limit: int) -> SourceListing:
    rows: list[SessionRow] = []
    problems: list[Problem] = []
    for path in rollout_files(root):
        if len(rows) >= limit:
            break
        session_id = session_id_for(path)
        if session_id is None:
            continue
        try:
            summary = cached_summary(path)
        except (OSError, NotARollout, UnicodeDecodeError) as error:
            problems.append(Problem.from_exception(SOURCE_NAME, _HOOK, error, path=str(path)))
            continue
        if summary.unreadable_lines:
            problems.append(Problem(
                SOURCE_NAME, _HOOK, "ValueError",
                f"skipped {summary.unreadable_lines} line(s) that are not JSON", path=str(path),
            ))
        thread_id = session_id.removeprefix("codex_")
        rows.append(SessionRow.adopt(row_fields(session_id, thread_id, summary)))
    return SourceListing(SOURCE_NAME, tuple(rows), tuple(problems))
