"""What one Claude Code record is: the one decision every reader of a transcript shares.

The transcript (:mod:`.messages`), the exact running count (:mod:`.counts`), the row summary
(:mod:`.summary`) and the window scan (:mod:`.window_scan`) must agree on what each line is
(S4.14, S4.17), so none of them decides it: they ask :func:`classify` and act on the
:class:`RecordKind` it returns. The rules, in the order they apply:

1. a title record (``summary``, ``custom-title``, ``ai-title``) names the session (S4.4);
2. a line with ``isSidechain: true`` is a subagent's turn inside the parent's file (1.0.x), not
   this conversation (S4.2); the first user line of one (no ``parentUuid``) starts a subagent;
3. a user line is, in turn: a compaction summary (``isCompactSummary``, S4.12), a hidden
   command expansion or caveat (``isMeta``, S4.13), or what its content says: tool results
   (S4.11), then its text (images as placeholders) read by :func:`.markup.classify_user_text`
   as a prompt, a command, a notice or nothing to show (S4.13, S8.24);
4. an assistant line belongs to its response (time, model, usage) and shows something when
   one block adds text, reasoning, a tool call or an image (:func:`assistant_shows`, asked
   only by the count: the transcript reads the blocks themselves, S4.9);
5. a ``system`` ``compact_boundary`` is a compaction divider (S4.12);
6. a line without ``type`` is a legacy shape (:mod:`.legacy`), read as the records it holds;
7. everything else (snapshots, progress, queue operations, other ``system`` lines, unknown or
   malformed types, non-objects) adds nothing to the conversation (S4.8).

The window scan cannot afford to decode every line, so the same kinds are also guessed from a
raw line's bytes (:func:`peek_line` and friends, at the end), relying on Claude Code's compact
layout; those guesses only steer estimates and skips, never a shown message or exact count.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, NamedTuple

from .blocks import image_placeholder
from .markup import UserText, classify_user_text, title_candidate

__all__ = [
    "LINE_EDGE",
    "SNAPSHOT_LINE_PREFIX",
    "TITLE_LINE_PREFIXES",
    "AssistantPart",
    "Classified",
    "LinePeek",
    "RecordKind",
    "assistant_part",
    "assistant_shows",
    "classify",
    "is_user_line",
    "line_may_title",
    "peek_line",
    "prompt_title",
    "user_content",
]


class RecordKind(Enum):
    """What a record adds to the session; ``conversation`` kinds make a file a session."""

    PROMPT = "prompt"  # typed by the user: a user message, counted as one
    COMMAND = "command"  # a slash or ``!`` command: shown as the user's, counted as one
    NOTICE = "notice"  # an interruption or a background task's note: a system message
    TOOL_RESULT = "tool_result"  # tool results only: tool messages, never the user's
    HIDDEN = "hidden"  # a user line with nothing to show (harness output, no text)
    USER = "user"  # a user line whose content was not asked for (``read_content=False``)
    META = "meta"  # ``isMeta``: a command's expansion or a caveat, never shown
    COMPACT_SUMMARY = "compact_summary"  # ``isCompactSummary``: a compaction's summary
    ASSISTANT = "assistant"  # an assistant line: part of a response (see assistant_shows)
    COMPACT_BOUNDARY = "compact_boundary"  # a compaction divider
    SIDECHAIN = "sidechain"  # a subagent's turn inside the parent's file
    SIDECHAIN_START = "sidechain_start"  # the first user line of such a subagent
    TITLE = "title"  # ``summary``, ``custom-title`` or ``ai-title``
    LEGACY = "legacy"  # no ``type``: a legacy shape holding records (:mod:`.legacy`)
    LEGACY_SIDECHAIN = "legacy_sidechain"  # the same, marked ``isSidechain``
    OTHER = "other"  # nothing the conversation shows or counts

    # Members are singletons compared by identity; hashing them the same way (in C) keeps the
    # kind-set tests on every line cheap (Enum's own hash runs Python code).
    __hash__ = object.__hash__


#: User and assistant lines of this conversation: one of them makes a file a session (S4.2).
CONVERSATION_KINDS = frozenset({
    RecordKind.PROMPT, RecordKind.COMMAND, RecordKind.NOTICE, RecordKind.TOOL_RESULT,
    RecordKind.HIDDEN, RecordKind.USER, RecordKind.META, RecordKind.COMPACT_SUMMARY,
    RecordKind.ASSISTANT,
})
#: User lines whose content was read: their tool results and text are in :class:`Classified`.
USER_CONTENT_KINDS = frozenset({
    RecordKind.PROMPT, RecordKind.COMMAND, RecordKind.NOTICE, RecordKind.TOOL_RESULT,
    RecordKind.HIDDEN,
})
#: User lines that may hold the first typed prompt, their content read or not (S4.5).
_TITLE_CANDIDATE_KINDS = USER_CONTENT_KINDS | {RecordKind.USER}


class Classified(NamedTuple):
    """A record's kind and, for a user line, what its content holds: ``tool_results`` (the
    ``tool_result`` blocks, in order) and ``text`` (what its text shows, None when nothing).

    A named tuple: one is built for every user line of every transcript read, and most other
    records share one constant instance."""

    kind: RecordKind
    text: UserText | None = None
    tool_results: tuple[dict[str, Any], ...] = ()


_TITLE = Classified(RecordKind.TITLE)
_SIDECHAIN = Classified(RecordKind.SIDECHAIN)
_SIDECHAIN_START = Classified(RecordKind.SIDECHAIN_START)
_META = Classified(RecordKind.META)
_COMPACT_SUMMARY = Classified(RecordKind.COMPACT_SUMMARY)
_HIDDEN = Classified(RecordKind.HIDDEN)
_USER_UNREAD = Classified(RecordKind.USER)
_ASSISTANT = Classified(RecordKind.ASSISTANT)
_COMPACT_BOUNDARY = Classified(RecordKind.COMPACT_BOUNDARY)
_LEGACY = Classified(RecordKind.LEGACY)
_LEGACY_SIDECHAIN = Classified(RecordKind.LEGACY_SIDECHAIN)
_OTHER = Classified(RecordKind.OTHER)
_SHOWN_TEXT = {"prompt": RecordKind.PROMPT, "command": RecordKind.COMMAND}


def classify(record: Any, *, read_content: bool = True) -> Classified:
    """What ``record`` (one decoded line) is; never raises, whatever its shape.

    Dispatches on ``type`` first, so the common lines cost a comparison or two; only a user
    line's content is read, and not even that with ``read_content=False`` (kind ``USER``):
    the row summary needs no more, and the window scan should not pay for texts it skips."""
    if not isinstance(record, dict):
        return _OTHER
    kind = record.get("type")
    if kind == "assistant":
        return _SIDECHAIN if record.get("isSidechain") is True else _ASSISTANT
    if kind == "user" or kind == "human":  # ``human``: older exports' name for the user
        return _classify_user(record, read_content)
    if kind is None:
        # The transcript leaves a marked legacy line out whole; the row summary still reads it.
        return _LEGACY_SIDECHAIN if record.get("isSidechain") is True else _LEGACY
    if kind == "summary" or kind == "custom-title" or kind == "ai-title":
        return _TITLE  # even on a sidechain line: the file's title evidence (S4.4)
    if kind == "system" and record.get("subtype") == "compact_boundary":
        return _SIDECHAIN if record.get("isSidechain") is True else _COMPACT_BOUNDARY
    return _OTHER


def user_content(record: dict[str, Any]) -> Any:
    """A user line's content: ``message.content``, or a top-level ``content`` when the line has
    no message object (older shapes)."""
    message = record.get("message")
    return message.get("content") if isinstance(message, dict) else record.get("content")


def _classify_user(record: dict[str, Any], read_content: bool) -> Classified:
    if record.get("isSidechain") is True:
        # A subagent's root has no parent; it counts as one inline subagent (S4.2).
        return _SIDECHAIN_START if record.get("parentUuid") is None else _SIDECHAIN
    if record.get("isCompactSummary") is True:
        return _COMPACT_SUMMARY  # before isMeta: the summary is shown on its divider (S4.12)
    if record.get("isMeta") is True:
        return _META
    return _classify_user_content(user_content(record)) if read_content else _USER_UNREAD


def _classify_user_content(content: Any) -> Classified:
    """A user line by its content: tool results, then the text of its text and image blocks."""
    if isinstance(content, str):
        return _user_text(classify_user_text(content), ())
    if not isinstance(content, list):
        return _HIDDEN
    texts: list[str] = []
    results: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind == "text":
                text = block.get("text")
                if isinstance(text, str):
                    texts.append(text)
            elif kind == "image":
                texts.append(image_placeholder(block))  # "what is this?" needs its picture
            elif kind == "tool_result":
                results.append(block)
    shown = classify_user_text("\n".join(texts)) if texts else None
    return _user_text(shown, tuple(results))


def _user_text(shown: UserText | None, results: tuple[dict[str, Any], ...]) -> Classified:
    # ``_make`` skips the named tuple's Python-level ``__new__``: one is made per user line.
    if shown is None or shown.kind == "hidden":
        return Classified._make((_TOOL_RESULT_KIND, None, results)) if results else _HIDDEN
    return Classified._make((_SHOWN_TEXT.get(shown.kind, _NOTICE), shown, results))


def assistant_shows(record: dict[str, Any]) -> bool:
    """Whether an assistant line shows something: a block that adds text, reasoning, a tool call
    or an image (:func:`assistant_part`). A line of blank blocks only (a redacted thinking
    keeps just its signature) still opens its response but is no message of its own (S4.9)."""
    message = record.get("message")
    if not isinstance(message, dict):
        return False
    content = message.get("content")
    if isinstance(content, str):
        return bool(content) and not content.isspace()
    if isinstance(content, list):
        for block in content:
            if assistant_part(block) is not None:
                return True
    return False


class AssistantPart(Enum):
    """What one block of an assistant line adds to its response (S4.9, S4.11, S4.13)."""

    TEXT = "text"
    REASONING = "reasoning"
    TOOL_CALL = "tool_call"
    IMAGE = "image"


_TEXT_PART, _REASONING_PART, _TOOL_CALL_PART, _IMAGE_PART = (
    AssistantPart.TEXT, AssistantPart.REASONING, AssistantPart.TOOL_CALL, AssistantPart.IMAGE
)


def assistant_part(block: Any) -> AssistantPart | None:
    """What ``block`` shows, or None: blank text and blank thinking (a redacted block keeps
    only its signature) show nothing, so a line of them alone is no message (S4.9)."""
    # ``isspace`` stops at the first visible character; ``strip`` would copy the whole text.
    if isinstance(block, str):
        return _TEXT_PART if block and not block.isspace() else None
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text" or kind == "thinking":
        value = block.get(kind)
        if isinstance(value, str) and value and not value.isspace():
            return _TEXT_PART if kind == "text" else _REASONING_PART
        return None
    if kind == "tool_use":
        return _TOOL_CALL_PART
    if kind == "image":
        return _IMAGE_PART
    return None


def prompt_title(record: dict[str, Any], classified: Classified) -> str | None:
    """The title a user line offers as the first typed prompt (S4.5), else None.

    Stricter than being shown: a line with any tool result never qualifies, images are left
    out of the text, and :func:`.markup.title_candidate` turns away markup, interruptions and
    the subagents' ``Warmup`` probe."""
    if classified.kind not in _TITLE_CANDIDATE_KINDS or classified.tool_results:
        return None
    content = user_content(record)
    if isinstance(content, str):
        return title_candidate(content)
    if not isinstance(content, list):
        return None
    texts = []
    for block in content:
        if isinstance(block, dict):
            kind = block.get("type")
            if kind == "tool_result":
                return None  # also when the content was not read
            if kind == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
        elif isinstance(block, str):
            texts.append(block)
    return title_candidate("\n".join(texts)) if texts else None


# ── raw lines: the same kinds guessed from Claude Code's compact layout ─────────────────────
#
# Byte patterns are safe because JSON escapes every quote in a string: ``"type":"tool_result"``
# with bare quotes can only be structure, never text. Claude Code writes ``"type"`` first, the
# top-level flags before ``"message"`` (isSidechain) or in the last few hundred bytes (isMeta,
# requestId, usage), and a message's role first; so a 100 KB line is never scanned whole.

#: How many bytes of a line's opening (and closing) the guesses look at.
LINE_EDGE = 1024

#: How a title record's line starts (rule 1): ``"type"`` comes first in Claude Code's layout.
TITLE_LINE_PREFIXES = (b'{"type":"summary"', b'{"type":"custom-title"', b'{"type":"ai-title"')
#: How a file-history snapshot's line starts: it holds nothing a row needs (rule 7).
SNAPSHOT_LINE_PREFIX = b'{"type":"file-history-snapshot"'
_MESSAGE = b'"message":{'
_SIDECHAIN_FLAG = b'"isSidechain":true'
_META_FLAG = b'"isMeta":true'
_USER = b'"role":"user"'
_USER_MESSAGE = b'"message":{"role":"user"'
_ASSISTANT_ROLE = b'"role":"assistant"'
_TOOL_RESULT = b'"type":"tool_result"'
_CONTENT = b'"content":'
_TEXT_BLOCK = b'[{"type":"text"'
_TEXT = b'"text":"'
# Text that starts like :mod:`.markup`'s hidden harness output, or an interruption (a notice,
# not a prompt); each written with the string's opening quote.
_HIDDEN_TEXT = (
    b'"<local-command-stdout>', b'"<local-command-stderr>', b'"<local-command-caveat>',
    b'"<bash-stdout>', b'"<bash-stderr>', b'"Caveat: The messages below', b'"[Request interrupted',
)
# Text that starts like markup :func:`.markup.title_candidate` turns away; context tags are not
# here: they are stripped and a prompt may follow them.
_MARKUP_TEXT = (
    b'"<command-name>', b'"<command-message>', b'"<command-args>', b'"<local-command-',
    b'"<bash-input>', b'"<bash-stdout>', b'"<bash-stderr>', b'"<task-notification>',
    b'"Caveat: The messages below were generated by the user while running local commands',
    b'"[Request interrupted by user]', b'"[Request interrupted by user for tool use]',
)


#: A raw line's guessed kind, where its message's fields start (-1 without one) and how many
#: tool results it holds. A plain tuple: one is made for every line the window scan samples.
#: The kind is ``PROMPT`` (a user text that is shown: prompts, commands and task notes alike),
#: ``TOOL_RESULT``, ``META``, ``HIDDEN``, ``SIDECHAIN``, ``ASSISTANT`` (any other line with a
#: message: Claude Code writes only assistant ones) or ``OTHER``.
LinePeek = tuple[RecordKind, int, int]

# Members read on every line; a module name is found faster than an Enum attribute (< 3.12).
_PROMPT, _TOOL_RESULT_KIND, _META_KIND, _HIDDEN_KIND, _ASSISTANT_KIND, _NOTICE = (
    RecordKind.PROMPT, RecordKind.TOOL_RESULT, RecordKind.META, RecordKind.HIDDEN,
    RecordKind.ASSISTANT, RecordKind.NOTICE,
)
_NO_MESSAGE: LinePeek = (RecordKind.OTHER, -1, 0)
_SIDECHAIN_LINE: LinePeek = (RecordKind.SIDECHAIN, -1, 0)


def peek_line(data: bytes, start: int, end: int) -> LinePeek:
    """Guess what the line ``data[start:end]`` is without decoding it (the window estimate's
    input, S4.16)."""
    opening = min(end, start + LINE_EDGE)
    message = data.find(_MESSAGE, start, opening)
    if message < 0:
        return _NO_MESSAGE
    if data.find(_SIDECHAIN_FLAG, start, message) >= 0:
        return _SIDECHAIN_LINE
    body_at = message + len(_MESSAGE)
    if not data.startswith(_USER, body_at):
        return (_ASSISTANT_KIND, body_at, 0)
    results = data.count(_TOOL_RESULT, body_at, opening)
    if results:
        return (_TOOL_RESULT_KIND, body_at, results)
    if data.find(_META_FLAG, max(start, end - LINE_EDGE), end) >= 0:
        return (_META_KIND, body_at, 0)
    if _text_starts_with(data, body_at, opening, _HIDDEN_TEXT):
        return (_HIDDEN_KIND, body_at, 0)
    return (_PROMPT, body_at, 0)


def line_may_title(data: bytes, start: int, end: int) -> bool:
    """False when a line's opening rules it out as the first typed prompt (S4.5): an assistant
    line, a tool result, or a user text that starts with markup. True means "decode it and
    let :func:`prompt_title` decide"."""
    opening = min(end, start + LINE_EDGE)
    if data.find(_ASSISTANT_ROLE, start, opening) >= 0:
        return False
    if data.find(_TOOL_RESULT, start, opening) >= 0:
        return False
    message = data.find(_USER_MESSAGE, start, opening)
    return not (
        message >= 0 and _text_starts_with(data, message + len(_MESSAGE), opening, _MARKUP_TEXT)
    )


def is_user_line(data: bytes, start: int, end: int) -> bool:
    """Whether a user message opens within the line's first :data:`LINE_EDGE` bytes."""
    return data.find(_USER_MESSAGE, start, min(end, start + LINE_EDGE)) >= 0


def _text_starts_with(data: bytes, body_at: int, opening: int, prefixes: tuple[bytes, ...]) -> bool:
    """Whether a user message's text (a string, or a first text block) starts with one of
    ``prefixes``, each written with the string's opening quote."""
    content = data.find(_CONTENT, body_at, opening)
    if content < 0:
        return False
    text = content + len(_CONTENT)
    if data.startswith(_TEXT_BLOCK, text):
        text = data.find(_TEXT, text, opening)
        if text < 0:
            return False
        text += len(_TEXT) - 1  # keep the opening quote, as in the string form
    return data.startswith(prefixes, text)
