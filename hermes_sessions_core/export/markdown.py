"""A session as one Markdown document: a header of metadata, then each message under a heading.

Message text is Markdown already and is kept as written, but contained: a message cannot reach
past its own section (an unclosed code fence is closed; HTML blocks that run to a closing tag
are escaped). Tool calls and results are fenced with a fence longer than any run of backticks
inside; thinking is a collapsible quote; inline images stay data URLs, remote ones are links.
"""

from __future__ import annotations

import re
from typing import Any

from .parts import (
    Attachment,
    Entry,
    Image,
    Other,
    Part,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    entries_of,
    longest_run,
)
from .record import format_time, header_fields

__all__ = ["render_markdown", "contain", "fenced", "code_span", "plain", "code_blocks"]

# Header values shown as code: ids, model names and paths read better, and copy, verbatim.
_VERBATIM_FIELDS = frozenset({"ID", "Model", "Workspace"})
_ROLE_NAMES = {"user": "User", "assistant": "Assistant", "tool": "Tool", "system": "System"}
# Characters that would turn plain text (a title, a tool name) into Markdown syntax.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]<>#|~!])")
_FENCE_LINE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
# HTML blocks that end only at their closing tag (CommonMark types 1-5), not at a blank line.
_LONG_HTML_BLOCK = re.compile(r" {0,3}<(?:script|pre|style|textarea|!--|\?|![A-Za-z]|!\[CDATA\[)",
                              re.IGNORECASE)
_URL_UNSAFE = re.compile(r"[\s<>()]")


def render_markdown(record: dict[str, Any]) -> str:
    """The document for a :func:`~.record.session_record`."""
    row = record["session"]
    lines = [f"# {plain(row.get('title') or 'Untitled')}", ""]
    for label, value in header_fields(row):
        shown = code_span(value) if label in _VERBATIM_FIELDS else plain(value)
        lines.append(f"- **{label}:** {shown}")
    lines += ["", "---", ""]
    entries = entries_of(record["messages"])
    if not entries:
        lines += ["*No messages.*", ""]
    for entry in entries:
        lines += [_heading(entry), ""]
        for part in entry.parts:
            lines += [_part(part), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def plain(text: Any) -> str:
    """``text`` on one line with Markdown syntax escaped, for headings and labels."""
    return _MARKDOWN_SYNTAX.sub(r"\\\1", " ".join(str(text).split()))


def code_span(text: str) -> str:
    """``text`` as inline code on one line, delimited by more backticks than it holds."""
    text = " ".join(text.split())
    ticks = "`" * (longest_run(text, "`") + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{ticks}{padding}{text}{padding}{ticks}"


def fenced(text: str, language: str = "") -> str:
    """A fenced code block longer than any backtick run inside, so content cannot close it."""
    fence = "`" * max(3, longest_run(text, "`") + 1)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


def contain(text: str) -> str:
    """Markdown ``text`` that cannot swallow what follows it: a code fence left open is
    closed, and a line starting an HTML block that only a closing tag ends (``<script>``,
    ``<pre>``, ``<!--``) gets its ``<`` escaped. Code inside fences is left untouched."""
    lines = text.split("\n")
    open_fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE_LINE.fullmatch(line)
        if match:
            fence, rest = match.groups()
            if open_fence is None:
                if not (fence[0] == "`" and "`" in rest):  # else an inline code span
                    open_fence = fence
            elif fence[0] == open_fence[0] and len(fence) >= len(open_fence) and not rest.strip():
                open_fence = None
        elif open_fence is None and _LONG_HTML_BLOCK.match(line):
            stripped = line.lstrip(" ")
            lines[index] = line[: len(line) - len(stripped)] + "\\" + stripped
    if open_fence is not None:
        lines.append(open_fence)
    return "\n".join(lines)


def code_blocks(text: str) -> list[tuple[str | None, str]]:
    """``text`` cut into prose and fenced code, in order: ``(None, prose)`` or
    ``(language, code)``; a fence left open runs to the end, as Markdown reads it."""
    pieces: list[tuple[str | None, str]] = []
    current: list[str] = []
    open_fence: str | None = None
    language = ""
    for line in text.split("\n"):
        match = _FENCE_LINE.fullmatch(line)
        if match and open_fence is None and not (match[1][0] == "`" and "`" in match[2]):
            pieces.append((None, "\n".join(current)))
            open_fence, language, current = match[1], match[2].strip(), []
        elif (match and open_fence is not None and match[1][0] == open_fence[0]
              and len(match[1]) >= len(open_fence) and not match[2].strip()):
            pieces.append((language, "\n".join(current)))
            open_fence, current = None, []
        else:
            current.append(line)
    pieces.append((language if open_fence is not None else None, "\n".join(current)))
    return [(kind, body) for kind, body in pieces if kind is not None or body.strip()]


def _heading(entry: Entry) -> str:
    role = _ROLE_NAMES.get(entry.role, entry.role.capitalize())
    bits = [str(entry.number), plain(role)]
    if entry.kind:
        bits[-1] += f" ({plain(entry.kind)})"
    when = format_time(entry.timestamp)
    if when:
        bits.append(when)
    if entry.model:
        bits.append(plain(entry.model))
    return "## " + " · ".join(bits)


def _part(part: Part) -> str:
    if isinstance(part, Text):
        return contain(part.text.strip("\n"))
    if isinstance(part, Thinking):
        quoted = "\n".join(f"> {line}" if line else ">" for line in contain(part.text).split("\n"))
        return f"<details>\n<summary>Thinking</summary>\n\n{quoted}\n\n</details>"
    if isinstance(part, ToolCall):
        call_id = f" {code_span(part.call_id)}" if part.call_id else ""
        return f"**Tool call {code_span(part.name)}**{call_id}\n\n" + fenced(
            part.arguments, part.language
        )
    if isinstance(part, ToolResult):
        name = f" of {code_span(part.name)}" if part.name else ""
        call_id = f" {code_span(part.call_id)}" if part.call_id else ""
        error = " (error)" if part.is_error else ""
        return f"**Tool result{name}**{call_id}{error}\n\n" + fenced(part.text, part.language)
    if isinstance(part, Image):
        return _image(part)
    if isinstance(part, Attachment):
        return f"*Attached file:* {code_span(part.name)}"
    if isinstance(part, Other):
        return "*Unrecognised part:*\n\n" + fenced(part.text, "json")
    raise TypeError(f"no Markdown for {type(part).__name__}")  # a Part added without a renderer


def _image(image: Image) -> str:
    label = plain(image.media_type or "image")
    if image.inline:
        return f"![{label}]({image.url})"
    if image.url:
        url = _URL_UNSAFE.sub(lambda match: f"%{ord(match.group()):02X}", image.url)
        return f"[{label}: {plain(image.url)}]({url})"
    return f"*({label} not kept in the session)*"
