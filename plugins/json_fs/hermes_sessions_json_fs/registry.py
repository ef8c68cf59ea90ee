"""One :class:`SessionFiles` per storage location, shared by every store that uses it.

Hooks receive only a context, so the plugin finds its folder object here, keyed by the URL and
storage options. Objects are made on first use, never at import.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.hookspecs import SourceContext

from .session_files import SessionFiles
from .storage import MAX_READ_BYTES, open_folder

__all__ = ["session_files_for", "forget_all"]

SOURCE_NAME = "json_fs"
_lock = threading.Lock()
_open: dict[tuple[str, bytes, str], SessionFiles] = {}


def session_files_for(context: SourceContext) -> SessionFiles:
    """The session folder of the calling store (``storage_options`` come from its settings)."""
    remembered = context.state.get(SOURCE_NAME)
    if isinstance(remembered, SessionFiles):
        return remembered  # this store's folder, found once: every hook call needs it
    locations = context.locations
    url = locations.sessions_url
    options: Mapping[str, Any] = context.setting(SOURCE_NAME, "storage_options", None) or {}
    multi_writer = bool(context.setting(SOURCE_NAME, "multi_writer", False))
    fold_every_save = bool(context.setting(SOURCE_NAME, "fold_every_save", False))
    max_session_bytes = _positive_int(
        context.setting(SOURCE_NAME, "max_session_bytes", MAX_READ_BYTES), MAX_READ_BYTES
    )
    default_workspace = locations.default_workspace
    settings_key = jsoncodec.dumps_line(
        [dict(options), multi_writer, fold_every_save, max_session_bytes]
    )
    key = (url, settings_key, default_workspace)
    with _lock:
        files = _open.get(key)
        if files is None:
            folder = open_folder(url, options, multi_writer=multi_writer)
            # No session file, backup or store file larger than this is read whole.
            folder.max_read_bytes = max_session_bytes
            files = SessionFiles(folder, default_workspace, fold_every_save=fold_every_save)
            _open[key] = files
    context.state[SOURCE_NAME] = files
    return files


def _positive_int(value: Any, default: int) -> int:
    """A setting that must be a positive whole number; anything else keeps the default."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def forget_all() -> None:
    """Fold pending index changes and drop every open folder (store close, tests)."""
    with _lock:
        opened = list(_open.values())
        _open.clear()
    for files in opened:
        files.close()
