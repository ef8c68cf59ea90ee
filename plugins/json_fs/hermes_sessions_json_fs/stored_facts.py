"""What this store holds, for the other plugins: sessions with their profile, and deleted ids.

Other plugins never read ``_index.json``, ``_index.d/`` or ``_tombstones.json`` themselves:
they would miss pending index changes, and a remote store's credentials. They ask the core
(``context.webui_store``), which asks here; the answers come from the same index machinery and
folder as the sidebar, so they hold on every backend (local, memory, S3, SFTP).
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path
from typing import Any

from hermes_sessions_core.hookspecs import StoredSession
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.models import is_valid_session_id
from hermes_sessions_core.regular_files import read_regular
from hermes_sessions_core.times import to_epoch

from .index import decode_entries
from .session_files import SessionFiles

__all__ = ["deleted_ids", "stored_sessions"]

logger = logging.getLogger(__name__)


def stored_sessions(
    files: SessionFiles,
    locations: Locations,
    profile: str | None,
    session_ids: frozenset[str] | None,
    host_index: str | None = None,
) -> list[StoredSession]:
    """Sessions held, newest first: index rows with pending changes applied, repaired from the
    files where the index lags; a file that cannot be read is held with no profile.

    ``host_index`` is an index file a host keeps apart from the session folder (the Web UI's
    ``SESSION_INDEX_FILE`` when its tests move it): its rows are the answer, as the host's.
    """
    if host_index:
        rows = _rows_in_host_index(Path(host_index))
        unreadable: set[str] = set()
    else:
        listed, _problems = files.rows()  # the listing reports the problems
        rows = listed
        unreadable = files.session_ids_on_storage() - {row["session_id"] for row in rows}
    found = [
        _stored(row) for row in rows
        if (session_ids is None or row["session_id"] in session_ids)
        and (profile is None or locations.profiles_match(_text(row.get("profile")), profile))
    ]
    found.sort(key=lambda stored: stored.updated_at or 0.0, reverse=True)  # stable: ties keep
    if profile is None:
        wanted = unreadable if session_ids is None else unreadable & session_ids
        found.extend(StoredSession(session_id) for session_id in sorted(wanted))
    return found


def deleted_ids(files: SessionFiles) -> frozenset[str]:
    """Ids with a tombstone; a missing or unreadable tombstone file holds none."""
    return frozenset(files.tombstones())


def _stored(row: dict[str, Any]) -> StoredSession:
    return StoredSession(
        session_id=row["session_id"],
        profile=_text(row.get("profile")),
        project_id=_text(row.get("project_id")),
        updated_at=to_epoch(row.get("updated_at")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _rows_in_host_index(path: Path) -> list[dict[str, Any]]:
    """Rows of a host's index file in file order; ``[]`` if it is missing, not a regular file
    (never waited on) or does not parse. Decoded as the store's own index is."""
    try:
        data = read_regular(path, follow_symlinks=True)
    except OSError as error:
        logger.debug("no readable session index at %s (%s)", path, error)
        return []
    entries = decode_entries(data.removeprefix(codecs.BOM_UTF8))
    if entries is None:
        logger.debug("the session index at %s does not parse", path)
        return []
    return [
        entry for entry in entries
        if isinstance(entry, dict) and is_valid_session_id(entry.get("session_id"))
    ]
