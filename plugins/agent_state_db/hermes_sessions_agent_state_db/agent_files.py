"""The agent's own ``<profile home>/sessions/session_<id>.json`` (S2.38): a JSON file beside
``state.db``, read without ``sqlite3`` (the repair of an interrupted turn asks for it)."""

from __future__ import annotations

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.errors import InvalidProfileName
from hermes_sessions_core.hookspecs import AgentTranscript
from hermes_sessions_core.locations import Locations

from .side_files import read_side_file

__all__ = ["MAX_AGENT_TRANSCRIPT_BYTES", "agent_transcript"]

#: The agent's per-session transcript is read whole; one larger than this is left alone.
MAX_AGENT_TRANSCRIPT_BYTES = 256 * 1024 * 1024


def agent_transcript(locations: Locations, profile: str, session_id: str) -> AgentTranscript | None:
    """The messages, tool calls, tokens and cost the agent wrote to its
    ``<profile home>/sessions/session_<id>.json`` (``~`` expanded, a symlink followed: the
    user's own files), or ``None`` when that file has no messages or cannot be read (S2.38)."""
    try:
        path = locations.core_transcript(session_id, profile).expanduser()
        record = jsoncodec.loads(read_side_file(path, MAX_AGENT_TRANSCRIPT_BYTES))
    except (InvalidProfileName, OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    tool_calls = record.get("tool_calls")
    return AgentTranscript(
        messages=tuple(messages),
        tool_calls=tuple(tool_calls) if isinstance(tool_calls, list) else (),
        input_tokens=record.get("input_tokens"),
        output_tokens=record.get("output_tokens"),
        estimated_cost=record.get("estimated_cost"),
    )
