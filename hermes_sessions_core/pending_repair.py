"""Repair of a turn that was interrupted mid-stream (S2.36-S2.39, #1624).

A session whose ``pending_user_message`` and ``active_stream_id`` are set while that stream is
no longer running lost its turn to a crash or restart. After a 30 s grace window (fast turns
may still be flushing) the pending prompt is restored as a user message with an error marker,
or the agent's own transcript is adopted when the Web UI file has none. Never raises.

This module only decides: the agent's transcript arrives as data, asked of the source that owns
the agent's files (``hermes_sessions_agent_transcript``) and only when it is needed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from .times import to_epoch

if TYPE_CHECKING:
    from .hookspecs import AgentTranscript
    from .models import Session

__all__ = [
    "GRACE_SECONDS", "ERROR_MARKER", "needs_repair", "repair_interrupted_turn", "repair_locked",
]

logger = logging.getLogger(__name__)

GRACE_SECONDS = 30.0
ERROR_MARKER = "**Previous turn did not complete.**"


def needs_repair(
    session: Session,
    live_stream_ids: frozenset[str],
    now: float | None = None,
    grace_seconds: float = GRACE_SECONDS,
) -> bool:
    """Pending turn, a stream id that is not live, and older than the grace window (S2.36)."""
    if not session.pending_user_message or not session.active_stream_id:
        return False
    if session.active_stream_id in live_stream_ids:
        return False
    started = to_epoch(getattr(session, "pending_started_at", None))
    if not started:
        return True  # missing, zero or unparseable counts as old
    return ((now or time.time()) - started) >= grace_seconds


def repair_interrupted_turn(
    session: Session,
    lock: threading.Lock,
    live_stream_ids: Callable[[], frozenset[str]],
    agent_transcript: Callable[[], AgentTranscript | None],
    save: Callable[[Session], None],
    *,
    own_stream: bool = False,
) -> bool:
    """Repair under ``lock`` taken without waiting; ``True`` if the session was repaired.

    ``own_stream`` is for the streaming writer repairing its own stream: it skips the liveness
    check, because its stream is still registered while it runs (S2.37). ``agent_transcript``
    is asked only under the lock and only for a session without messages: the agent's record
    may be large, and a skipped repair must not read it.
    """
    seen_stream = session.active_stream_id
    if not lock.acquire(blocking=False):
        return False
    try:
        return repair_locked(
            session, live_stream_ids, agent_transcript, save,
            expected_stream=seen_stream, require_stream_dead=not own_stream,
        )
    finally:
        lock.release()


def repair_locked(
    session: Session,
    live_stream_ids: Callable[[], frozenset[str]],
    agent_transcript: Callable[[], AgentTranscript | None],
    save: Callable[[Session], None],
    *,
    expected_stream: str | None = None,
    require_stream_dead: bool = True,
) -> bool:
    """The repair itself, for a caller already holding the session's lock; never raises.

    With ``expected_stream`` it first re-checks, under that lock, that the session still
    belongs to that stream (compression may have rotated it) and, with
    ``require_stream_dead``, that the stream is not running again.
    """
    try:
        if not session.pending_user_message:
            return False
        if expected_stream is not None:
            if session.active_stream_id != expected_stream:
                return False
            if require_stream_dead and session.active_stream_id in live_stream_ids():
                return False
        if not session.messages and _adopt_agent_transcript(session, agent_transcript()):
            pass
        else:
            _restore_pending_prompt(session)
        _clear_pending(session)
        save(session)
        logger.info("session %s: repaired an interrupted turn", session.session_id)
        return True
    except Exception:
        logger.exception("repair of interrupted turn failed for session %s", session.session_id)
        return False


def _adopt_agent_transcript(session: Session, record: AgentTranscript | None) -> bool:
    """Take the agent's messages and tool calls, and its tokens and cost where it recorded
    them, when it has any messages (S2.38)."""
    if record is None or not record.messages:
        return False
    session.messages = list(record.messages)
    session.tool_calls = list(record.tool_calls)
    for name in ("input_tokens", "output_tokens", "estimated_cost"):
        value = getattr(record, name)
        if value is not None:
            setattr(session, name, value)
    return True


def _restore_pending_prompt(session: Session) -> None:
    """Append the prompt (unless already the last user message) and one error marker (S2.39)."""
    pending = str(session.pending_user_message or "")
    collapsed = " ".join(pending.split())
    started = to_epoch(getattr(session, "pending_started_at", None))
    stamp = int(started) if started and started > 0 else int(time.time())
    last = session.messages[-1] if session.messages else None
    already = (
        isinstance(last, dict)
        and last.get("role") == "user"
        and " ".join(str(last.get("content") or "").split()) == collapsed
    )
    if not already:
        recovered: dict[str, Any] = {
            "role": "user",
            "content": session.pending_user_message,
            "timestamp": stamp,
            "_recovered": True,
        }
        attachments = getattr(session, "pending_attachments", None)
        if attachments:
            recovered["attachments"] = list(attachments)
        session.messages.append(recovered)
    marker = {"role": "assistant", "content": ERROR_MARKER, "timestamp": int(time.time())}
    session.messages.append({**marker, "_error": True})


def _clear_pending(session: Session) -> None:
    session.active_stream_id = None
    session.pending_user_message = None
    session.pending_attachments = []
    session.pending_started_at = None
