"""A session as one self-contained HTML page: inline CSS, no script, no request of any kind.

Everything from the session is escaped text; a Content-Security-Policy allowing only inline
styles and ``data:`` images backs that up, so even a mistake here could neither run a script
nor fetch a URL (remote images are links, never loaded). Tool calls, tool results and thinking
are ``<details>`` blocks whose one-line summaries stay readable when folded; the page follows
the reader's light or dark scheme, wraps long lines, and prints with every block unfolded.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from .markdown import code_blocks
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
)
from .record import format_time, header_fields

__all__ = ["render_html", "CONTENT_SECURITY_POLICY"]

#: Inline styles and data: images only: no script, font, frame, fetch or remote image.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
_ROLE_NAMES = {"user": "User", "assistant": "Assistant", "tool": "Tool", "system": "System"}
_PREVIEW_CHARS = 120

_STYLE = """
:root { color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --accent: #0969da;
  --user: #eef4ff; --assistant: #ffffff; --tool: #f6f8fa; --system: #fff8e5; --code: #f6f8fa;
  --thinking: #f7f3ff; --thinking-edge: #8250df; --error: #cf222e; --error-bg: #ffebe9; }
@media (prefers-color-scheme: dark) { :root {
  --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --accent: #4493f8;
  --user: #121d2f; --assistant: #0d1117; --tool: #151b23; --system: #272115; --code: #151b23;
  --thinking: #1f1830; --thinking-edge: #ab7df8; --error: #f85149; --error-bg: #2d1214; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin: 0 0 .75rem; line-height: 1.25; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0;
  font-size: .9rem; }
dl.meta div { display: contents; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
main { margin-top: 1.5rem; border-top: 1px solid var(--border); padding-top: 1rem; }
article { border: 1px solid var(--border); border-radius: 8px; margin: 0 0 1rem;
  padding: .75rem 1rem; background: var(--assistant); }
article.user { background: var(--user); border-left: 4px solid var(--accent); }
article.tool { background: var(--tool); padding: .4rem 1rem; }
article.system { background: var(--system); }
.head { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: baseline;
  font-size: .85rem; color: var(--muted); margin-bottom: .4rem; break-after: avoid; }
.head .role { font-weight: 700; color: var(--fg); font-size: .95rem; }
.text { white-space: pre-wrap; margin: .4rem 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .4rem 0; padding: .6rem .75rem;
  background: var(--code); border: 1px solid var(--border); border-radius: 6px;
  font: .85rem/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
details { margin: .4rem 0; border: 1px solid var(--border); border-radius: 6px;
  background: var(--code); }
details > summary { cursor: pointer; padding: .35rem .75rem; list-style-position: inside; }
details > :not(summary) { margin: 0 .75rem .6rem; }
details pre { background: var(--bg); }
summary .label { font-weight: 600; }
summary .preview { color: var(--muted); font-size: .85rem; }
summary code.name { font-weight: 600; color: var(--accent); }
details.thinking { background: var(--thinking); border: 1px dashed var(--thinking-edge);
  border-left: 4px solid var(--thinking-edge); }
details.thinking .label { color: var(--thinking-edge); }
details.thinking .body { white-space: pre-wrap; font-style: italic; color: var(--fg); }
details.result.error { border-color: var(--error); background: var(--error-bg); }
details.result.error .label { color: var(--error); }
.call-id { color: var(--muted); font-size: .8rem; }
figure { margin: .5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--border); border-radius: 6px; }
figcaption, .attachment, .missing { color: var(--muted); font-size: .85rem; }
a { color: var(--accent); }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; }
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #444; --code: #f6f6f6; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  article { break-inside: auto; }
  details::details-content { content-visibility: visible; display: block; }
  details > summary { list-style: none; }
  a[href]::after { content: " (" attr(href) ")"; font-size: .8em; }
}
"""


def render_html(record: dict[str, Any]) -> str:
    """The page for a :func:`~.record.session_record`."""
    row = record["session"]
    title = escape(" ".join(str(row.get("title") or "Untitled").split()))
    meta = "".join(
        f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>"
        for label, value in header_fields(row)
    )
    entries = entries_of(record["messages"])
    body = "\n".join(_entry(entry) for entry in entries) or '<p class="missing">No messages.</p>'
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="hermes-sessions">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header class="session">\n<h1>{title}</h1>\n<dl class="meta">{meta}</dl>\n</header>\n'
        f"<main>\n{body}\n</main>\n"
        "<footer>Exported by hermes-sessions. Tool calls, results and thinking are folded: "
        "click a line to open it.</footer>\n</body>\n</html>\n"
    )
    return page


def _entry(entry: Entry) -> str:
    role_class = entry.role if entry.role in _ROLE_NAMES else "other"
    role = _ROLE_NAMES.get(entry.role, entry.role.capitalize())
    if entry.kind:
        role += f" ({entry.kind})"
    head = [
        f'<span class="role">{escape(role)}</span>', f'<span class="number">#{entry.number}</span>'
    ]
    when = format_time(entry.timestamp)
    if when:
        head.append(f"<time>{escape(when)}</time>")
    if entry.model:
        head.append(f'<span class="model">{escape(entry.model)}</span>')
    parts = "\n".join(_part(part) for part in entry.parts)
    return (
        f'<article class="{role_class}" id="message-{entry.number}">\n'
        f'<div class="head">{" ".join(head)}</div>\n{parts}\n</article>'
    )


def _part(part: Part) -> str:
    if isinstance(part, Text):
        return _text(part.text)
    if isinstance(part, Thinking):
        return (
            '<details class="thinking"><summary><span class="label">Thinking</span> '
            f'<span class="preview">{escape(_preview(part.text))}</span></summary>'
            f'<div class="body">{escape(part.text)}</div></details>'
        )
    if isinstance(part, ToolCall):
        return (
            '<details class="call"><summary><span class="label">Tool call</span> '
            f'<code class="name">{escape(part.name)}</code> '
            f'<span class="preview">{escape(_json_preview(part.arguments, part.language))}</span>'
            "</summary>"
            f'<pre class="{part.language}">{escape(part.arguments)}</pre>{_call_id(part)}</details>'
        )
    if isinstance(part, ToolResult):
        label = "Tool error" if part.is_error else "Tool result"
        name = f' <code class="name">{escape(part.name)}</code>' if part.name else ""
        error = " error" if part.is_error else ""
        return (
            f'<details class="result{error}"><summary><span class="label">{label}</span>{name} '
            f'<span class="preview">{escape(_json_preview(part.text, part.language))}</span>'
            f'</summary><pre class="{part.language}">{escape(part.text)}</pre>{_call_id(part)}'
            "</details>"
        )
    if isinstance(part, Image):
        return _image(part)
    if isinstance(part, Attachment):
        return f'<div class="attachment">Attached file: <code>{escape(part.name)}</code></div>'
    if isinstance(part, Other):
        return (
            '<details class="other"><summary><span class="label">Unrecognised part</span>'
            f'</summary><pre class="json">{escape(part.text)}</pre></details>'
        )
    raise TypeError(f"no HTML for {type(part).__name__}")  # a Part added without a renderer


def _call_id(part: ToolCall | ToolResult) -> str:
    if not part.call_id:
        return ""
    return f'<div class="call-id">call id: {escape(part.call_id)}</div>'


def _text(text: str) -> str:
    """Prose as wrapped text, fenced code as ``<pre>``; no other Markdown is interpreted, so
    what the page shows is exactly what the message says."""
    pieces = []
    for language, body in code_blocks(text.strip("\n")):
        if language is None:
            pieces.append(f'<div class="text">{escape(body.strip(chr(10)))}</div>')
        else:
            label = f' data-language="{escape(language)}"' if language else ""
            pieces.append(f"<pre{label}><code>{escape(body)}</code></pre>")
    return "\n".join(pieces)


def _image(image: Image) -> str:
    label = escape(image.media_type or "image")
    if image.inline:
        return (
            f'<figure class="image"><img src="{escape(image.url)}" alt="{label}">'
            f"<figcaption>{label}</figcaption></figure>"
        )
    if image.url:
        url = escape(image.url)
        return (
            f'<div class="image-link">Image (not loaded): <a href="{url}" '
            f'rel="noopener noreferrer">{url}</a></div>'
        )
    return f'<div class="missing">({label} not kept in the session)</div>'


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _PREVIEW_CHARS else line[: _PREVIEW_CHARS - 1] + "…"


def _json_preview(text: str, language: str) -> str:
    """``command: pytest -q`` rather than ``{"command": "pytest -q"}``: what a folded call or
    result line needs to say which one it is."""
    if language == "json":
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            return _preview(", ".join(
                f"{key}: {item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)}"
                for key, item in value.items()
            ))
    return _preview(text)
