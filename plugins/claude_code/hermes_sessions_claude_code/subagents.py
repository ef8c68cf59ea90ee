"""Linking subagent transcripts to their parent session (S4.2, S9.10).

2.1.x keeps them in ``<session>/subagents/`` (the folder names the parent); 2.0.x puts
``agent-*.jsonl`` beside the sessions, and only the ``sessionId`` inside says whose they are,
so the first line is read once per file version and cached.
"""

from __future__ import annotations

import re
from typing import Iterable

from hermes_sessions_core.models import Problem

from .cache import SummaryCache
from .discovery import SubagentFile, TranscriptFile, subagents_folder
from .records import open_regular

__all__ = ["link_subagents"]

_SESSION_ID = re.compile(rb'"sessionId":"([^"]+)"')
_PROBE_BYTES = 16 * 1024


def _parent_of(agent: SubagentFile, cache: SummaryCache) -> str:
    key = (agent.mtime_ns, agent.size)
    known = cache.agent_parents.get(agent.path, key)
    if known is not None:
        return known
    parent = ""
    try:
        with open_regular(agent.path) as handle:
            head = handle.read(min(agent.size, _PROBE_BYTES))
    except OSError:
        return parent  # vanished or unreadable: simply not linked
    match = _SESSION_ID.search(head)
    if match:
        parent = match.group(1).decode("utf-8", "replace")
    cache.agent_parents.put(agent.path, key, parent)
    return parent


def link_subagents(
    sessions: Iterable[TranscriptFile],
    flat_agents: dict[str, list[SubagentFile]],
    cache: SummaryCache,
    folders: set[str] | None = None,
) -> tuple[dict[str, list[SubagentFile]], list[Problem]]:
    """``session path → its subagent files`` for the given sessions.

    ``folders``, when given, lists the project sub-folders seen by the scan; sessions without
    a ``<session>/`` folder are then not probed.
    """
    linked: dict[str, list[SubagentFile]] = {}
    problems: list[Problem] = []
    by_stem: dict[tuple[str, str], str] = {}
    projects: set[str] = set()
    for session in sessions:
        if folders is None or session.path[: -len(".jsonl")] in folders:
            files, found_problems = subagents_folder(session)
            problems.extend(found_problems)
        else:
            files = []
        linked[session.path] = files
        by_stem[(session.project_dir, session.stem)] = session.path
        projects.add(session.project_dir)
    for project in projects:
        for agent in flat_agents.get(project, ()):
            parent = _parent_of(agent, cache)
            path = by_stem.get((project, parent))
            if path is not None:
                linked[path].append(agent)
    return linked, problems
