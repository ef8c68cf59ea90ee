"""What a row says about one session, worked out once from its records (either storage).

Counts and the title come from the messages OpenCode still shows (before any revert marker,
see :mod:`.revert`); usage comes from every assistant message, undone or not, since OpenCode
recorded those tokens and that cost as spent. Usage is tallied per message id
(:class:`~hermes_sessions_core.usage.UsageTally`), with the cost OpenCode recorded in USD;
the session's own ``cost`` column stands in only when no message recorded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from hermes_sessions_core.usage import UsageTally

from .ids import session_id_for
from .records import MessageRecord, SessionRecord
from .revert import split_at_revert
from .titles import choose_title, first_user_text, is_placeholder_title

__all__ = ["SessionSummary", "summarise_session", "title_message_ids"]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """The facts of one session a row, a load or a search needs; frozen, so it is cached."""

    session_id: str
    record: SessionRecord
    title: str
    first_at: float | None
    last_at: float | None
    message_count: int
    user_message_count: int
    undone_count: int
    model: str | None
    provider: str | None
    agent: str | None
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost: float | None
    usage: tuple[dict[str, Any], ...]


def title_message_ids(record: SessionRecord, messages: Sequence[MessageRecord]) -> list[str]:
    """The messages whose parts the title needs: the first shown user messages, when OpenCode's
    title is still its placeholder (at most three, for a first turn of only attachments)."""
    if not is_placeholder_title(record.title):
        return []
    shown, _undone = split_at_revert(messages, record.revert_message_id)
    return [message.native_id for message in shown if message.role == "user"][:3]


def summarise_session(
    record: SessionRecord, messages: Sequence[MessageRecord], title_chars: int,
    fallback_at: float,
) -> SessionSummary | None:
    """The summary of one session (messages in order, parts read for the title messages);
    None when our ids cannot name it. ``fallback_at`` (the file's mtime) stands in for times
    the records lack, so a row always has them."""
    session_id = session_id_for(record.native_id)
    if session_id is None:
        return None
    shown, undone = split_at_revert(messages, record.revert_message_id)
    tally = UsageTally()
    totals = [0, 0, 0, 0, 0]
    costs: list[float] = []
    model = provider = agent = None
    for message in messages:
        if message.role != "assistant":
            continue
        model = message.model or model
        provider = message.provider or provider
        agent = message.agent or agent
        counts = (message.input_tokens, message.output_tokens, message.reasoning_tokens,
                  message.cache_read_tokens, message.cache_write_tokens)
        for index, value in enumerate(counts):
            totals[index] += value
        if message.cost is not None:
            costs.append(message.cost)
        tally.add(
            message.native_id, message.created_at, message.model,
            input_tokens=message.input_tokens, output_tokens=message.output_tokens,
            cache_read_tokens=message.cache_read_tokens,
            cache_write_tokens=message.cache_write_tokens,
            reasoning_tokens=message.reasoning_tokens, cost=message.cost,
        )
    cost = round(sum(costs), 10) if costs else None
    if cost is None and record.recorded_cost:
        cost = record.recorded_cost
        tally.add(None, record.updated_at, model, cost=cost)
    stamps = [m.last_at for m in shown if m.last_at is not None]
    first_at = record.created_at or (shown[0].created_at if shown else None)
    last_at = max(stamps) if stamps else (record.updated_at or first_at or fallback_at)
    return SessionSummary(
        session_id=session_id,
        record=record,
        title=choose_title(record.title, first_user_text(shown, title_chars), title_chars),
        first_at=min(first_at or last_at, last_at),
        last_at=last_at,
        message_count=sum(1 for m in shown if m.role in ("user", "assistant")),
        user_message_count=sum(1 for m in shown if m.role == "user"),
        undone_count=len(undone),
        model=model,
        provider=provider,
        agent=agent,
        input_tokens=totals[0],
        output_tokens=totals[1],
        reasoning_tokens=totals[2],
        cache_read_tokens=totals[3],
        cache_write_tokens=totals[4],
        cost=cost,
        usage=tuple(tally.records()),
    )
