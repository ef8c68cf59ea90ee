"""The agent's ``state.db`` on other machines, read from a local snapshot.

A root is the remote Hermes home (the folder holding ``state.db``), labelled by machine::

    settings = {"agent_state_db": {"roots": [
        {"url": "sftp://me@server/home/me/.hermes", "machine": "server"},
    ]}}

Its ``state.db`` and ``state.db-wal`` (and ``cron/jobs.json``, for cron titles) are copied
when their size or mtime changes (:mod:`hermes_sessions_core.remote_mirror`) and listed with
the same reader as a local store. SQLite applies the copied write-ahead log up to its last
whole commit and ignores a log that does not belong to the copied database, so a copy taken
while the agent writes shows an earlier state, never a broken one. Agent ids carry no
prefix, so another machine's are ``<machine>__<id>``. Roots without a machine label are
ignored here: this machine's stores are its profiles.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.models import Problem
from hermes_sessions_core.source_roots import MachineFolders, folders_by_machine

from .essentials import ID_PREFIX, SOURCE_NAME

__all__ = ["ID_PREFIX", "SNAPSHOT_PATTERNS", "other_machines", "snapshot_locations"]

SNAPSHOT_PATTERNS = ("state.db", "state.db-wal", "cron/jobs.json")


def other_machines(
    context: SourceContext, sync: bool
) -> tuple[list[MachineFolders], list[Problem]]:
    """The configured roots on other machines, as local snapshot folders."""
    groups, problems = folders_by_machine(
        context, SOURCE_NAME, (), patterns=SNAPSHOT_PATTERNS, max_files=len(SNAPSHOT_PATTERNS),
        sync=sync,
    )
    return [group for group in groups if group.machine is not None], problems


def snapshot_locations(locations: Locations, folder: str) -> Locations:
    """Locations whose every profile home is the snapshot folder (one store per root)."""
    home = Path(folder)
    return replace(locations, base_home=home, profile_home_resolver=lambda _name: home)
