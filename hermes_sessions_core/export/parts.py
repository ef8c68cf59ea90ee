"""Any source's message as ordered parts: text, thinking, image, tool call, tool result, file.

Sources store messages in several shapes: OpenAI-style (``content`` text or a list of
``text``/``image_url`` parts, ``tool_calls`` with JSON ``arguments``, ``tool`` results with
``tool_call_id``), Anthropic-style blocks (``thinking``, ``tool_use``, ``tool_result``,
``image``), and reasoning in whichever field the model's provider used. Every renderer reads
the one neutral form built here, so a new shape is taught once. Nothing here raises on odd
values: a session file is data from disk, and one strange message must not stop an export.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence, Union

from ..times import to_epoch

__all__ = [
    "Text", "Thinking", "Image", "ToolCall", "ToolResult", "Attachment", "Other", "Part",
    "Entry",
    "THINKING_FIELDS", "entries_of", "json_text", "longest_run",
]

#: Message fields that carry a model's reasoning, in the order they are read: the Web UI and
#: Claude Code (``reasoning``), DeepSeek-style providers (``reasoning_content``), the Web UI's
#: streaming fallback (``thinking``), OpenRouter (``reasoning_details``) and Codex
#: (``codex_reasoning_items``). The same thought stored twice is shown once.
THINKING_FIELDS: tuple[str, ...] = (
    "reasoning", "reasoning_content", "thinking", "reasoning_details", "codex_reasoning_items",
)
# Inline reasoning markup the Web UI lifts out of content: <think>, MiniMax, Gemma 4.
_INLINE_THINKING = re.compile(
    r"<think>(.*?)</think>\s*|<\|channel>thought\n(.*?)<channel\|>\s*"
    r"|<\|turn\|>thinking\n(.*?)<turn\|>\s*",
    re.DOTALL,
)
# Keys of reasoning records that hold thought text; the others are ids, formats, or opaque
# (encrypted, signed) blobs that are never shown.
_THOUGHT_KEYS = ("thinking", "reasoning", "text", "summary", "content")
_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})
_IMAGE_PART_TYPES = frozenset({"image_url", "image", "input_image"})
_DATA_IMAGE = re.compile(r"data:(image/[a-z0-9.+-]+);base64,[a-z0-9+/=\s]*\Z", re.IGNORECASE)
_MAX_DEPTH = 16


@dataclass(frozen=True)
class Text:
    """Message text as written (usually Markdown)."""

    text: str


@dataclass(frozen=True)
class Thinking:
    """A model's reasoning, shown apart from its answer."""

    text: str


@dataclass(frozen=True)
class Image:
    """An image: ``inline`` for a ``data:image/...;base64`` URL the page can show without a
    request; otherwise ``url`` is a link (``http(s)``) or empty when the source kept none."""

    url: str
    media_type: str | None
    inline: bool


@dataclass(frozen=True)
class ToolCall:
    """A tool the model called; ``arguments`` is pretty JSON when ``language`` is ``json``."""

    name: str
    call_id: str | None
    arguments: str
    language: Literal["json", "text"]


@dataclass(frozen=True)
class ToolResult:
    """What a tool returned; ``name`` comes from the call it answers when the result lacks one."""

    name: str | None
    call_id: str | None
    text: str
    language: Literal["json", "text"]
    is_error: bool


@dataclass(frozen=True)
class Attachment:
    """A file the user attached: only its name is in the session, not its bytes."""

    name: str


@dataclass(frozen=True)
class Other:
    """A value no renderer knows (an unknown block type), shown as JSON: nothing is dropped."""

    text: str


Part = Union[Text, Thinking, Image, ToolCall, ToolResult, Attachment, Other]


@dataclass(frozen=True)
class Entry:
    """One message: its position (1-based), role, time, model, kind and parts in order."""

    number: int
    role: str
    timestamp: float | None
    model: str | None
    kind: str | None
    parts: tuple[Part, ...]


def entries_of(messages: Sequence[Any]) -> list[Entry]:
    """Every message as an :class:`Entry`; tool results learn their tool's name from the call
    with the same id, as the Web UI pairs them."""
    call_names: dict[str, str] = {}
    entries: list[Entry] = []
    for number, message in enumerate(messages, start=1):
        if not isinstance(message, Mapping):
            entries.append(Entry(number, "unknown", None, None, None, (Other(json_text(message)),)))
            continue
        entries.append(_entry(number, message, call_names))
    return entries


def json_text(value: Any) -> str:
    """``value`` as indented JSON, non-ASCII as is; a value too deep to encode is named."""
    try:
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
    except (ValueError, TypeError, RecursionError):
        return "(a value nested too deeply to show)"


def longest_run(text: str, character: str) -> int:
    """The longest run of ``character`` in ``text``: a fence must be longer to enclose it."""
    runs = re.findall(f"{re.escape(character)}+", text)
    return max((len(run) for run in runs), default=0)


# ── one message ──────────────────────────────────────────────────────────────────────────


def _entry(number: int, message: Mapping[str, Any], call_names: dict[str, str]) -> Entry:
    role = _text_or_none(message.get("role")) or "unknown"
    parts: list[Part] = []
    seen_thoughts: set[str] = set()

    def think(text: str) -> None:
        key = text.strip()
        if key and key not in seen_thoughts:
            seen_thoughts.add(key)
            parts.append(Thinking(text.strip("\n")))

    for name in THINKING_FIELDS:
        for text in _texts(message.get(name)):
            think(text)
    if role == "tool":
        parts.append(_tool_message_result(message, call_names))
    else:
        _add_content(message.get("content"), parts, think, call_names, role)
    summary = message.get("summary")
    if isinstance(summary, str) and summary.strip():
        parts.append(Text(summary))
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            if isinstance(call, Mapping):
                parts.append(_tool_call(call, call_names))
    attachments = message.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            file_name = _attachment_name(attachment)
            if file_name:
                parts.append(Attachment(file_name))
    model = _text_or_none(message.get("model"))
    kind = _text_or_none(message.get("kind"))
    return Entry(number, role, to_epoch(message.get("timestamp")), model, kind, tuple(parts))


def _add_content(
    content: Any, parts: list[Part], think: Any, call_names: dict[str, str], role: str
) -> None:
    if content is None:
        return
    if isinstance(content, str):
        _add_text(content, parts, think, lift_thinking=role == "assistant")
        return
    if isinstance(content, Mapping):
        content = [content]
    if not isinstance(content, list):
        parts.append(Text(str(content)) if isinstance(content, (int, float)) else Other(
            json_text(content)
        ))
        return
    lift = role == "assistant"
    for block in content:
        if isinstance(block, str):
            _add_text(block, parts, think, lift_thinking=lift)
        elif isinstance(block, Mapping):
            _add_block(block, parts, think, call_names, lift)
        elif block is not None:
            parts.append(Other(json_text(block)))


def _add_text(text: str, parts: list[Part], think: Any, lift_thinking: bool) -> None:
    if lift_thinking and ("<think>" in text or "<|" in text):
        for match in _INLINE_THINKING.finditer(text):
            think(next(group for group in match.groups() if group is not None))
        text = _INLINE_THINKING.sub("", text)
    if text.strip():
        parts.append(Text(text))


def _add_block(
    block: Mapping[str, Any], parts: list[Part], think: Any, call_names: dict[str, str],
    lift: bool,
) -> None:
    kind = block.get("type")
    if kind in _TEXT_PART_TYPES:
        text = block.get("text")
        if isinstance(text, str):
            _add_text(text, parts, think, lift_thinking=lift)
    elif kind in ("thinking", "reasoning"):
        for text in _texts(block):
            think(text)
    elif kind == "redacted_thinking":
        think("(reasoning redacted by the provider)")
    elif kind in _IMAGE_PART_TYPES:
        parts.append(_image(block))
    elif kind == "tool_use":
        call = {"id": block.get("id"), "name": block.get("name"), "arguments": block.get("input")}
        parts.append(_tool_call(call, call_names))
    elif kind == "tool_result":
        parts.append(_tool_result(
            block.get("content"), _text_or_none(block.get("tool_use_id")), None,
            block.get("is_error") is True, call_names,
        ))
    elif kind in ("file", "document", "input_file"):
        parts.append(Attachment(_attachment_name(block.get("file", block)) or str(kind)))
    else:
        parts.append(Other(json_text(dict(block))))


# ── tools ────────────────────────────────────────────────────────────────────────────────


def _tool_call(call: Mapping[str, Any], call_names: dict[str, str]) -> ToolCall:
    function = call.get("function")
    function = function if isinstance(function, Mapping) else {}
    name = _text_or_none(function.get("name")) or _text_or_none(call.get("name")) or "tool"
    call_id = _text_or_none(call.get("id")) or _text_or_none(call.get("call_id"))
    arguments = function.get("arguments", call.get("arguments"))
    if call_id:
        call_names[call_id] = name
    text, language = _json_or_text(arguments)
    return ToolCall(name, call_id, text, language)


def _tool_message_result(message: Mapping[str, Any], call_names: dict[str, str]) -> ToolResult:
    name = _text_or_none(message.get("name")) or _text_or_none(message.get("tool_name"))
    call_id = _text_or_none(message.get("tool_call_id")) or _text_or_none(
        message.get("tool_use_id")
    )
    return _tool_result(
        message.get("content"), call_id, name, message.get("is_error") is True, call_names
    )


def _tool_result(
    content: Any, call_id: str | None, name: str | None, is_error: bool,
    call_names: dict[str, str],
) -> ToolResult:
    if name is None and call_id is not None:
        name = call_names.get(call_id)
    if isinstance(content, list) and all(
        isinstance(block, Mapping) and isinstance(block.get("text"), str) for block in content
    ):
        content = "\n".join(block["text"] for block in content)
    text, language = _json_or_text(content)
    return ToolResult(name, call_id, text, language, is_error)


def _json_or_text(value: Any) -> tuple[str, Literal["json", "text"]]:
    """JSON text (or a decoded value) indented for reading; other text as it is."""
    if value is None:
        return "", "text"
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] not in ("{", "["):
            return value, "text"
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):
            return value, "text"
    return json_text(value), "json"


# ── images and files ─────────────────────────────────────────────────────────────────────


def _image(block: Mapping[str, Any]) -> Image:
    url: Any = block.get("image_url")
    if isinstance(url, Mapping):
        url = url.get("url")
    media_type: str | None = None
    source = block.get("source")
    if url is None and isinstance(source, Mapping):
        media_type = _text_or_none(source.get("media_type"))
        data = source.get("data")
        if source.get("type") == "base64" and isinstance(data, str):
            url = f"data:{media_type or 'image/png'};base64,{data}"
        else:
            url = source.get("url")
    if url is None:
        url = block.get("url")
    if not isinstance(url, str):
        return Image("", media_type, False)
    url = url.strip()
    inline = _DATA_IMAGE.match(url)
    if inline:
        return Image(re.sub(r"\s+", "", url), inline.group(1).lower(), True)
    if url.lower().startswith(("http://", "https://")):
        return Image(url, media_type, False)
    return Image("", media_type, False)  # file:, javascript: and malformed data: are not shown


def _attachment_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in ("name", "filename", "path"):
            name = value.get(key)
            if isinstance(name, str) and name:
                return name
    return None


# ── values ───────────────────────────────────────────────────────────────────────────────


def _texts(value: Any, depth: int = 0) -> list[str]:
    """Thought text in a reasoning field: a string, or the text inside records and lists
    (``text``, ``summary``, ``thinking``, ...), leaving encrypted or signed blobs out."""
    if depth > _MAX_DEPTH:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    found: list[str] = []
    if isinstance(value, Mapping):
        for key in _THOUGHT_KEYS:
            found.extend(_texts(value.get(key), depth + 1))
    elif isinstance(value, list):
        for item in value:
            found.extend(_texts(item, depth + 1))
    return found


def _text_or_none(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None

