"""Whether the Web UI already holds an agent ``webui`` row: its file or its tombstone (S3.16).

A ``webui``-source agent row is listed only to recover a conversation whose Web UI file is
gone; a tombstone means the user deleted it, so it must not come back (S2.26, S8.20). Only a
local sessions folder is checked: a remote store is merged by id in the aggregator instead.
"""

from __future__ import annotations

from pathlib import Path

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.tombstones import TOMBSTONES_FILE, parse_tombstones

from .side_files import read_side_file

__all__ = ["WebuiPresence"]


class WebuiPresence:
    """Answers "does the Web UI know this id?" for one listing, reading tombstones once."""

    def __init__(self, locations: Locations) -> None:
        self._local = locations.session_url is None
        self._folder: Path = locations.session_dir
        self._tombstones: dict[str, float] | None = None

    def _tombstoned(self) -> dict[str, float]:
        if self._tombstones is None:
            try:
                data = read_side_file(self._folder / TOMBSTONES_FILE)
            except OSError:
                data = None  # absent, a FIFO, or huge: nothing is hidden by tombstones
            self._tombstones = parse_tombstones(data)
        return self._tombstones

    def hides(self, session_id: str) -> bool:
        """True when the Web UI file exists or the id was deleted there."""
        if not self._local:
            return False
        if session_id in self._tombstoned():
            return True
        return (self._folder / f"{session_id}.json").exists()
