"""Exporting a session as a file to read or share: Markdown, one self-contained HTML page, JSON.

Every format starts from the record ``show --json`` prints (:mod:`.record`), reads messages of
every source through one neutral form (:mod:`.parts`) and returns UTF-8 bytes, so a caller can
write them to a file or stdout as they are::

    from hermes_sessions_core.export import export_session
    page = export_session(session, "html")   # a Session from store.get(), or a Transcript

Exporting never writes anything itself and never changes the session.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Session, Transcript

__all__ = ["FORMATS", "export_session", "format_for_path"]

#: The format names, in the order help text lists them.
FORMATS: tuple[str, ...] = ("markdown", "html", "json")
_UNENCODABLE = re.compile("[\ud800-\udfff\x00]")
_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
             ".json": "json"}


def export_session(session: Session | Transcript, format: str) -> bytes:
    """``session`` as a file's bytes in ``format`` (one of :data:`FORMATS`), UTF-8.

    Raises ``ValueError`` naming the valid formats for any other name, or, for JSON only, for
    a value nested deeper than the JSON encoder goes (the pages name such a value instead).
    """
    from .record import record_json, session_record

    record = session_record(session)
    if format == "json":
        return record_json(record)
    if format == "markdown":
        from .markdown import render_markdown

        text = render_markdown(record)
    elif format == "html":
        from .html import render_html

        text = render_html(record)
    else:
        raise ValueError(f"unknown export format {format!r}; choose from: {', '.join(FORMATS)}")
    return _utf8(text)


def format_for_path(path: str | PurePath) -> str | None:
    """The format a file name asks for by its suffix (``.md``, ``.html``, ``.json``), if any."""
    return _SUFFIXES.get(PurePath(path).suffix.lower())


def _utf8(text: str) -> bytes:
    """UTF-8 bytes; a lone surrogate (an undecodable byte of a file name that reached a
    message) and NUL become U+FFFD instead of failing the export or confusing a reader."""
    try:
        return text.replace("\x00", "\ufffd").encode("utf-8")
    except UnicodeEncodeError:
        return _UNENCODABLE.sub("\ufffd", text).encode("utf-8")
