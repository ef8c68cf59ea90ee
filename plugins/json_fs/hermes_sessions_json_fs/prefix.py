"""Find where a session file's metadata ends, without parsing its transcript (S2.11).

Session files put every metadata field before the top-level ``"messages"`` key. Cutting the
file there and closing the object gives a small JSON document with the whole of group 1.
"""

from __future__ import annotations

import re
from typing import Any

from hermes_sessions_core import jsoncodec

__all__ = ["metadata_prefix", "metadata_record", "find_top_level_key"]

# In files written with indent=2 a top-level key starts a line with exactly two spaces; a JSON
# string cannot hold a raw newline, so this can only match structure.
_INDENTED_MESSAGES = re.compile(rb'\n  "messages"\s*:')
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]', re.DOTALL)


def find_top_level_key(data: bytes, key: str) -> int | None:
    """Offset of ``"key"`` as a key of the outermost object, honouring strings and nesting."""
    wanted = b'"' + key.encode("utf-8") + b'"'
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        first = token[:1]
        if first == b"{" or first == b"[":
            depth += 1
        elif first == b"}" or first == b"]":
            depth -= 1
        elif depth == 1 and token == wanted:
            rest = data[match.end():match.end() + 64].lstrip()
            if rest[:1] == b":":
                return match.start()
    return None


def metadata_prefix(data: bytes) -> bytes | None:
    """The object up to (not including) the top-level ``messages`` key, closed with ``}``.

    ``None`` when the key is not inside ``data`` (a longer prefix may be needed, or the file
    has another layout).
    """
    found = _INDENTED_MESSAGES.search(data) if data.startswith(b'{\n  "') else None
    if found is not None:
        position = found.start() + 1
    else:
        located = find_top_level_key(data, "messages")
        if located is None:
            return None
        position = located
    head = data[:position].rstrip()
    if head.endswith(b","):
        head = head[:-1]
    return head + b"\n}"


def metadata_record(data: bytes) -> dict[str, Any] | None:
    """The decoded metadata prefix of a session file's first bytes, or ``None``."""
    prefix = metadata_prefix(data)
    if prefix is None:
        return None
    try:
        record = jsoncodec.loads(prefix)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
