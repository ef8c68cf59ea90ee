"""Secrets never appear in a repr, a log line or an error: the one redaction rule.

Settings carry credentials (json_fs's ``storage_options`` for S3 or SFTP) and URLs can carry
passwords; everything the core prints about them goes through :func:`redact_secrets`.
Plugins should do the same with anything they print.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "redact_secrets"]

REDACTED = "<redacted>"
# Option names that hold a secret in fsspec backends and their clients (s3fs/botocore, sftp
# with paramiko, gcsfs, adlfs, HTTP headers), matched anywhere in the name, any case.
_SECRET_NAME = re.compile(
    r"secret|passw|passphrase|token|credential|pkey|private|auth|signature"
    r"|connection_?string|api_?key|account_?key|sas_",
    re.IGNORECASE,
)
# A key id is only half a credential; it is hidden when it sits next to its secret.
_KEY_ID_NAME = re.compile(r"(aws_)?(access_)?key(_id)?", re.IGNORECASE)
# user:password@ in a URL (sftp://me:pw@host/path).
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@:\s]*:)[^/@\s]*@", re.IGNORECASE)
_MAX_REDACT_DEPTH = 32


def redact_secrets(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` safe to print, log or put in an error message.

    In mappings, the value of every key that names a secret (``secret``, ``password``,
    ``token``, ``session_token``, ``passphrase``, ``pkey``, ``client_kwargs``'
    ``aws_secret_access_key``, ...) becomes ``<redacted>``, and so does ``key`` (or
    ``access_key_id``) beside such a key; the password of a ``scheme://user:password@`` URL in
    any text too. Empty values stay visible, to show that a credential is unset.
    """
    if isinstance(value, str):
        return _URL_PASSWORD.sub(rf"\g<head>{REDACTED}@", value) if "@" in value else value
    if _depth >= _MAX_REDACT_DEPTH:
        return REDACTED if isinstance(value, (Mapping, list, tuple)) else value
    if isinstance(value, Mapping):
        names = [name for name in value if isinstance(name, str)]
        paired = any(_SECRET_NAME.search(name) for name in names)
        redacted: dict[Any, Any] = {}
        for name, item in value.items():
            secret = isinstance(name, str) and (
                _SECRET_NAME.search(name) is not None
                or (paired and _KEY_ID_NAME.fullmatch(name) is not None)
            )
            if secret and item is not None and not (isinstance(item, str) and not item):
                redacted[name] = REDACTED
            else:
                redacted[name] = redact_secrets(item, _depth + 1)
        return redacted
    if isinstance(value, (list, tuple)):
        items = [redact_secrets(item, _depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value
