"""The listing cache kept on disk under the state dir, so a restart lists warm (S4.18).

One JSON file holds, per transcript path, the row summary of the file version it was built
from (inode, ``mtime_ns``, size) and the exact running counts (:mod:`.counts`). It is only a
cache: an entry that does not match the file found by the scan is ignored, a missing or
corrupt file means an empty cache, and it is rewritten atomically, bounded to the entries of
the last listing, only when that listing learned something new. Transcripts are never written.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from hermes_sessions_core.search_files import make_private_folder

from .cache import NOT_A_SESSION, SummaryCache
from .counts import CountState
from .discovery import SubagentFile, TranscriptFile
from .records import open_regular
from .summary import FileSummary

__all__ = ["STATE_FILE_NAME", "load_state", "save_state"]

STATE_FILE_NAME = "claude_code-listing.json"
_VERSION = 2  # 2: summaries and counts keep usage per response (issue 17)
_SUMMARY_FIELDS = {spec.name for spec in dataclasses.fields(FileSummary)}


def _summary_from(value: Any) -> Any:
    if value == NOT_A_SESSION:
        return NOT_A_SESSION
    if not isinstance(value, dict) or set(value) != _SUMMARY_FIELDS:
        return None
    try:
        return FileSummary(**{
            **value, "tokens": tuple(int(v) for v in value["tokens"][:4]),
            "usage": tuple(dict(entry) for entry in value["usage"] if isinstance(entry, dict)),
        })
    except (TypeError, ValueError):
        return None


def load_state(path: str | os.PathLike[str], cache: SummaryCache) -> None:
    """Seed ``cache`` from ``path`` once per cache; silently empty when absent or unreadable."""
    key = os.fspath(path)
    if key in cache.loaded_state_files:
        return
    cache.loaded_state_files.add(key)
    try:
        with open_regular(key) as handle:  # a FIFO here would block the listing
            data = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError):
        return
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return
    files = data.get("files")
    if not isinstance(files, dict):
        return
    agents = data.get("agents")
    for agent_path, entry in (agents.items() if isinstance(agents, dict) else ()):
        if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], str):
            cache.agent_parents.put(agent_path, (int(entry[0]), int(entry[1])), entry[2])
    for file_path, entry in files.items():
        if not isinstance(entry, dict):
            continue
        stat_key = entry.get("key")
        if isinstance(stat_key, list) and len(stat_key) == 2 and file_path not in cache.summaries:
            summary = _summary_from(entry.get("summary"))
            if summary is not None:
                cache.summaries.put(file_path, (int(stat_key[0]), int(stat_key[1])), summary)
                if isinstance(summary, FileSummary):
                    cache.remember_path(summary.session_id, file_path)
        counts = CountState.from_json(entry.get("counts")) if entry.get("counts") else None
        if counts is not None and file_path not in cache.counts:
            cache.counts.put(file_path, (0, 0), counts)


def save_state(
    path: str | os.PathLike[str],
    cache: SummaryCache,
    files: Iterable[TranscriptFile],
    agents: Iterable[SubagentFile] = (),
) -> None:
    """Write the entries of ``files`` atomically. Raises OSError when the state dir is not
    writable (the caller reports it; the listing itself stands)."""
    entries: dict[str, Any] = {}
    for file in files:
        summary = cache.summaries.get(file.path, file.key)
        counts = cache.counts.peek(file.path)
        if summary is None and counts is None:
            continue
        entries[file.path] = {
            "key": list(file.key),
            "summary": summary if summary == NOT_A_SESSION or summary is None
            else {**dataclasses.asdict(summary), "tokens": list(summary.tokens)},
            "counts": counts[1].to_json() if counts is not None else None,
        }
    parents = {}
    for agent in agents:
        parent = cache.agent_parents.get(agent.path, (agent.mtime_ns, agent.size))
        if parent is not None:
            parents[agent.path] = [agent.mtime_ns, agent.size, parent]
    target = Path(path)
    # The cache names every transcript and project: private, as the search indexes are.
    make_private_folder(target.parent, tighten=True)
    payload = orjson.dumps({"version": _VERSION, "files": entries, "agents": parents})
    handle, temporary = tempfile.mkstemp(prefix=".claude_code-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
