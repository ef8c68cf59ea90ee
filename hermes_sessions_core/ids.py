"""The id rules: which session ids are valid (S1.1-S1.3), new ones, cron ones (S5.5), and
which project ids are valid.

Apart from the session model because stores, plugins and the drop-in check ids without it.
"""

from __future__ import annotations

import re
import uuid

from .errors import InvalidProjectId, InvalidSessionId

__all__ = [
    "MAX_SESSION_ID_LENGTH",
    "new_session_id",
    "is_valid_session_id",
    "require_valid_session_id",
    "validate_project_id",
    "is_cron_session",
]

# One pattern for S1.2: lowercase letters, digits, '_' and '-', not starting with '_'; at most
# 200 characters, so "<id>.json.bak" always fits a 255-byte file name.
MAX_SESSION_ID_LENGTH = 200
_SESSION_ID = re.compile(r"[0-9a-z-][0-9a-z_-]{0,%d}" % (MAX_SESSION_ID_LENGTH - 1))

# 1-64 characters of A-Za-z0-9_- (the original's ids are 12 hex digits).
_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_session_id() -> str:
    """12 lowercase hex characters from a random UUID (S1.1)."""
    return uuid.uuid4().hex[:12]


def is_valid_session_id(session_id: object) -> bool:
    """The one id rule (S1.2): ``[0-9a-z_-]+``, not starting with ``_`` (store files), and
    short enough to be a file name."""
    return isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id) is not None


def require_valid_session_id(session_id: object) -> str:
    """Return the id, or raise :class:`InvalidSessionId` naming it (writes, S1.3)."""
    if not is_valid_session_id(session_id):
        raise InvalidSessionId(session_id)
    return session_id  # type: ignore[return-value]


def validate_project_id(project_id: object) -> str:
    """Return the id if it is 1-64 characters of ``A-Za-z0-9_-``, else raise InvalidProjectId."""
    if not isinstance(project_id, str) or _PROJECT_ID.fullmatch(project_id) is None:
        raise InvalidProjectId(project_id)
    return project_id


def is_cron_session(session_id: object, source_tag: object = None) -> bool:
    """``source_tag`` is ``cron`` or the id starts ``cron_``; empty values give False (S5.5)."""
    if source_tag == "cron":
        return True
    return str(session_id or "").startswith("cron_")
