"""Session ids of Gemini chats: ``gemini_cli_`` plus the chat's own ``sessionId``.

Gemini writes random UUIDs (lower-case hex and ``-``), which are used as they are, so the id
is what ``gemini --resume`` takes. Any other ``sessionId`` (capitals, other characters, a
``__``, which :mod:`hermes_sessions_core.source_roots` reads as a machine scope, or a leading
``x-``) is encoded: ``x-`` plus the unpadded lower-case base32 of its UTF-8 bytes. Plain ids
never start with ``x-`` and base32 is one-to-one, so the mapping is injective and reversible.
A ``sessionId`` whose id would pass the 200-character limit is not addressable; it is keyed
by ``h-`` and 40 hex digits of its SHA-256 (practically unique, not reversible: such a chat is
found by reading the chat headers).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from hermes_sessions_core.ids import MAX_SESSION_ID_LENGTH, is_valid_session_id

from .settings import ID_PREFIX

__all__ = ["session_id_for", "native_id_of", "owns_session_id"]

_PLAIN = re.compile(r"[0-9a-z][0-9a-z_-]*")
_ENCODED = "x-"
_HASHED = "h-"


def _native_key(native: str) -> str:
    if (
        _PLAIN.fullmatch(native) and "__" not in native and not native.startswith(_ENCODED)
        and not native.startswith(_HASHED)
    ):
        key = native
    else:
        encoded = base64.b32encode(native.encode("utf-8", "surrogatepass")).decode("ascii")
        key = _ENCODED + encoded.rstrip("=").lower()
    if len(ID_PREFIX) + len(key) > MAX_SESSION_ID_LENGTH:
        digest = hashlib.sha256(native.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        key = _HASHED + digest
    return key


def session_id_for(native: str) -> str:
    """The row id of the chat whose ``sessionId`` is ``native``."""
    return ID_PREFIX + _native_key(native)


def native_id_of(session_id: str) -> str | None:
    """The ``sessionId`` behind a row id, or None when it cannot be known without a scan
    (a hashed key) or the id is not ours."""
    if not owns_session_id(session_id):
        return None
    key = session_id[len(ID_PREFIX):]
    if key.startswith(_HASHED):
        return None
    if key.startswith(_ENCODED):
        body = key[len(_ENCODED):].upper()
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8))
            return raw.decode("utf-8", "surrogatepass")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
    return key


def owns_session_id(session_id: object) -> bool:
    """True for valid ids under this source's prefix; anything else is "not found"."""
    return (
        isinstance(session_id, str) and session_id.startswith(ID_PREFIX)
        and len(session_id) > len(ID_PREFIX) and is_valid_session_id(session_id)
    )
