"""The session as ``show --json`` prints it: the one record every export format starts from.

``{"session": <sidebar row>, "messages": [...]}``: the JSON export is this record, and the
Markdown and HTML pages render it, so the three formats never disagree about what a session
holds.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from .. import jsoncodec
from ..models import Session, Transcript
from ..times import to_epoch

__all__ = ["session_record", "record_json", "header_fields", "format_time"]


def session_record(session: Session | Transcript) -> dict[str, Any]:
    """``show --json``'s object for a loaded session; a bare transcript gets a minimal row."""
    if isinstance(session, Session):
        return {"session": session.compact(), "messages": list(session.messages)}
    row = {
        "session_id": session.session_id,
        "title": session.session_id,
        "source_label": session.source,
        "message_count": session.total_count,
    }
    return {"session": row, "messages": list(session.messages)}


def record_json(record: dict[str, Any]) -> bytes:
    """The bytes ``show --json`` writes for ``record``, newline included.

    Text holding a lone surrogate (an undecodable byte of a file name) cannot be UTF-8: it is
    written as a ``\\udcxx`` escape instead, so the file stays valid UTF-8 JSON and loses nothing.
    """
    try:
        return jsoncodec.dumps_report(record) + b"\n"
    except UnicodeEncodeError:
        text = json.dumps(record, ensure_ascii=True, indent=2, default=str)
        return text.encode("ascii") + b"\n"


def header_fields(row: dict[str, Any]) -> list[tuple[str, str]]:
    """What a page's header says about the session, as (label, text) pairs, empty ones left out."""
    fields = [
        ("ID", row.get("session_id")),
        ("Source", row.get("source_label") or "WebUI"),
        ("Model", row.get("model")),
        ("Profile", row.get("profile")),
        ("Workspace", row.get("workspace")),
        ("Created", format_time(row.get("created_at"))),
        ("Updated", format_time(row.get("updated_at"))),
        ("Messages", row.get("message_count")),
    ]
    return [(label, str(value)) for label, value in fields if value not in (None, "")]


def format_time(value: Any) -> str | None:
    """Epoch or ISO time as ``2026-11-23 21:20:25 UTC``: an export is read elsewhere, so the
    zone is stated instead of assumed; ``None`` when the value is not a time."""
    stamp = to_epoch(value)
    if stamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
