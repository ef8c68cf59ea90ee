"""What ``/undo`` left standing: OpenCode's revert marker applied to a message list.

``/undo`` (``session.revert``) sets ``revert.messageID`` to the user message it went back to
and restores the files; until the next prompt removes them for good, the undone messages stay
stored but OpenCode shows only the messages before that one (the TUI's
``messagesBeforeRevert``). We show the same: that message and every later one are left out of
titles, counts and transcripts. Their recorded usage still counts (the tokens were spent).
"""

from __future__ import annotations

from typing import Sequence, TypeVar

__all__ = ["split_at_revert"]

M = TypeVar("M")


def split_at_revert(
    messages: Sequence[M], revert_message_id: str | None
) -> tuple[list[M], list[M]]:
    """``(shown, undone)``: the messages before the revert point, and the rest. A marker
    naming no stored message undoes nothing (as in OpenCode)."""
    shown = list(messages)
    if not revert_message_id:
        return shown, []
    for index, message in enumerate(shown):
        if getattr(message, "native_id", None) == revert_message_id:
            return shown[:index], shown[index:]
    return shown, []
