"""Cron job names from ``<profile home>/cron/jobs.json``, for untitled cron rows (S3.15).

The agent has written three shapes over time: ``{"jobs": [...]}``, a bare list, and an object
keyed by job id; any of them may start with a UTF-8 BOM. A file that cannot be read (a FIFO,
over 16 MB, malformed) gives no names and a reason, so the rows still list with their fallback
titles; names are cut to the title cap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .field_caps import TITLE_MAX_CHARS
from .side_files import read_side_file

__all__ = ["CronJobNames", "cron_job_id", "read_cron_job_names"]


class CronJobNames(dict[str, str]):
    """Job id → name, plus ``error`` when the file exists but could not be used."""

    error: Exception | None = None


def cron_job_id(session_id: str) -> str | None:
    """``cron_<job id>_<stamp>`` → the job id (the text between the first two ``_``)."""
    if not session_id.startswith("cron_"):
        return None
    parts = session_id.split("_", 2)
    if len(parts) < 3 or not parts[1]:
        return None
    return parts[1]


def _entries(data: Any) -> list[tuple[str | None, Any]]:
    if isinstance(data, dict) and isinstance(data.get("jobs"), list):
        return [(None, job) for job in data["jobs"]]
    if isinstance(data, list):
        return [(None, job) for job in data]
    if isinstance(data, dict):
        return [(str(key), job) for key, job in data.items() if isinstance(job, dict)]
    raise ValueError(f"unexpected top-level {type(data).__name__}; expected an object or a list")


def read_cron_job_names(path: Path) -> CronJobNames:
    """Read job names; a missing file is no error, a malformed one records its cause."""
    names = CronJobNames()
    try:
        raw = read_side_file(path)
    except FileNotFoundError:
        return names
    except OSError as error:
        names.error = error
        return names
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        entries = _entries(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        names.error = ValueError(f"cron jobs file is unreadable: {error}")
        return names
    for key, job in entries:
        if not isinstance(job, dict):
            continue
        job_id = job.get("id") or key
        name = job.get("name")
        if job_id and isinstance(name, str) and name.strip():
            names[str(job_id)] = name.strip()[:TITLE_MAX_CHARS].rstrip()
    return names
