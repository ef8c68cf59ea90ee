"""Our session ids for OpenCode's: lower case, injective, reversible.

OpenCode ids look like ``ses_1c56060ffffeDR3yANYKPLLozb``: a prefix, ``_``, 12 hex digits and
14 base62 characters (``Identifier.create`` in ``packages/opencode/src/id/id.ts``), so they hold
capitals but never ``-``. Ours must match ``[0-9a-z][0-9a-z_-]*``, so each capital becomes
``-`` and its lower-case letter: ``ses_1c56060ffffe-d-r3y-a-n-y-k-p-l-l-ozb``. Since ``-`` never
follows anything but a lower-case letter in that form, decoding is unambiguous.

Any other id (one passed to OpenCode by a client, with ``-`` or other characters, or one that
would hold ``__``, the separator of machine-scoped ids) is written ``--`` plus the hex digits of
its UTF-8 bytes; no id of the first form starts with ``--``, so the two forms never collide.
"""

from __future__ import annotations

import re

from hermes_sessions_core.ids import is_valid_session_id

from .settings import ID_PREFIX

__all__ = ["session_id_for", "native_id_of", "owns_session_id"]

_PLAIN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_]*")
_CAPITAL = re.compile(r"[A-Z]")
_ESCAPED = re.compile(r"-([a-z])")
_HEX_MARK = "--"
#: Longest native id we name (its hex form must still fit the 200-character id rule).
MAX_NATIVE_LENGTH = 90


def session_id_for(native_id: str) -> str | None:
    """Our id for an OpenCode session id, or None when it cannot be one (empty, too long)."""
    if not isinstance(native_id, str) or not native_id or len(native_id) > MAX_NATIVE_LENGTH:
        return None
    if _PLAIN.fullmatch(native_id) and "__" not in native_id:
        encoded = _CAPITAL.sub(lambda found: "-" + found.group(0).lower(), native_id)
    else:
        encoded = _HEX_MARK + native_id.encode("utf-8", "surrogatepass").hex()
    session_id = ID_PREFIX + encoded
    return session_id if is_valid_session_id(session_id) else None


def native_id_of(session_id: object) -> str | None:
    """The OpenCode id behind one of our ids; None for ids this source cannot hold."""
    if not isinstance(session_id, str) or not session_id.startswith(ID_PREFIX):
        return None
    if not is_valid_session_id(session_id):
        return None
    encoded = session_id[len(ID_PREFIX):]
    if encoded.startswith(_HEX_MARK):
        try:
            native = bytes.fromhex(encoded[len(_HEX_MARK):]).decode("utf-8")
        except ValueError:
            return None
    else:
        if "--" in encoded or encoded.endswith("-") or re.search(r"-[^a-z]", encoded):
            return None
        native = _ESCAPED.sub(lambda found: found.group(1).upper(), encoded)
    return native if session_id_for(native) == session_id else None


def owns_session_id(session_id: object) -> bool:
    """True for ids of this source's shape; anything else is "not found"."""
    return native_id_of(session_id) is not None
