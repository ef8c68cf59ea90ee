"""Length caps on the free text an agent row carries, applied before it leaves SQLite (issue 13).

The agent writes whatever it is given into ``sessions``: a 10 MB title once made a sidebar of
80 MB that took 20-50 s. Each capped column is read as ``substr(column, 1, N)``, so no more
than N characters reach Python, and the value is cut (or dropped) once more after cleaning.
Ids are not cut: an id longer than 200 characters is no session id (S1.2) and is skipped.
"""

from __future__ import annotations

__all__ = [
    "ID_MAX_CHARS",
    "JSON_MAX_CHARS",
    "LABEL_MAX_CHARS",
    "PATH_MAX_CHARS",
    "SESSION_READ_CHARS",
    "TEXT_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "TITLE_READ_CHARS",
    "capped",
    "capped_path",
]

#: Titles: the agent's title, a parent's title, a cron job's name, search-hit titles.
TITLE_MAX_CHARS = 200
#: Raw title characters read, so that cleaning (control characters, runs of spaces) still
#: leaves a full title.
TITLE_READ_CHARS = 4 * TITLE_MAX_CHARS
#: Source names and kinds: ``source`` (hence ``source_tag``, ``raw_source``, ``source_label``),
#: ``session_source``, ``created_source``, ``end_reason``, ``chat_type``, ``platform``.
LABEL_MAX_CHARS = 64
#: Other short text: ``model``, ``user_id``, ``session_key``, ``chat_id``, ``thread_id``.
TEXT_MAX_CHARS = 256
#: ``workspace`` (``cwd``): a longer value is no usable path, so it is dropped, never cut.
PATH_MAX_CHARS = 4096
#: ``origin_json`` and ``model_config``: a longer document is not parsed (read as absent).
JSON_MAX_CHARS = 64 * 1024
#: Session ids (S1.2); ``parent_session_id`` is read one character longer, so an overlong
#: parent link matches no session.
ID_MAX_CHARS = 200

#: Characters of each capped ``sessions`` column that SQLite hands over.
SESSION_READ_CHARS: dict[str, int] = {
    "title": TITLE_READ_CHARS,
    "source": LABEL_MAX_CHARS,
    "session_source": LABEL_MAX_CHARS,
    "created_source": LABEL_MAX_CHARS,
    "end_reason": LABEL_MAX_CHARS,
    "chat_type": LABEL_MAX_CHARS,
    "model": TEXT_MAX_CHARS,
    "user_id": TEXT_MAX_CHARS,
    "session_key": TEXT_MAX_CHARS,
    "chat_id": TEXT_MAX_CHARS,
    "thread_id": TEXT_MAX_CHARS,
    "cwd": PATH_MAX_CHARS + 1,
    "origin_json": JSON_MAX_CHARS + 1,
    "model_config": JSON_MAX_CHARS + 1,
    "parent_session_id": ID_MAX_CHARS + 1,
}


def capped(value: object, limit: int) -> str:
    """``value`` as text (bytes decoded with replacement), at most ``limit`` characters."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value[: limit * 4]).decode("utf-8", "replace")
    else:
        text = str(value)
    return text[:limit]


def capped_path(value: object) -> str | None:
    """A workspace path, or None when it is empty or longer than :data:`PATH_MAX_CHARS`."""
    if value is None:
        return None
    text = capped(value, PATH_MAX_CHARS + 1)
    if not text or len(text) > PATH_MAX_CHARS:
        return None
    return text
