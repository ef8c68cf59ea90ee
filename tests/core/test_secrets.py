"""Secrets never appear in reprs, logs or error messages (issue 13, finding 11): the store's
settings carry storage credentials (json_fs's ``storage_options``) and a sessions URL may carry
a password; every printable form of them in the core hides the secret values."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hermes_sessions_core import Locations, SessionStore, SourceContext
from hermes_sessions_core.redaction import REDACTED, redact_secrets

SECRETS = ("AKIAEXAMPLEKEYID", "s3cr3t-value", "session-tok", "hunter2", "pass-phrase",
           "private-key-text", "client-secret", "client-token", "AKIACLIENTKEYID", "sftp-pw",
           "DefaultEndpointsProtocol=https;AccountKey=abc")


def _settings() -> dict[str, dict[str, object]]:
    return {
        "json_fs": {
            "storage_options": {
                "key": "AKIAEXAMPLEKEYID", "secret": "s3cr3t-value",
                "token": "session-tok", "session_token": "session-tok",
                "password": "hunter2", "passphrase": "pass-phrase", "pkey": "private-key-text",
                "connection_string": "DefaultEndpointsProtocol=https;AccountKey=abc",
                "anon": False, "use_ssl": True, "username": "deploy",
                "client_kwargs": {
                    "endpoint_url": "https://minio.example:9000", "region_name": "eu-1",
                    "aws_access_key_id": "AKIACLIENTKEYID",
                    "aws_secret_access_key": "client-secret",
                    "aws_session_token": "client-token",
                },
            },
            "fold_every_save": True,
        },
        "claude_code": {"max_files": 200},
    }


def _store(tmp_path: Path) -> SessionStore:
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "state",
        session_url="sftp://deploy:sftp-pw@files.example/srv/sessions", environ={},
    )
    return SessionStore(locations, settings=_settings())


def test_the_context_repr_shows_settings_without_their_secrets(tmp_path: Path) -> None:
    """repr(store.context()) used to print the S3 secret; now every secret value is
    redacted while the rest stays readable for debugging."""
    shown = repr(_store(tmp_path).context())
    for secret in SECRETS:
        assert secret not in shown, secret
    for visible in ("'anon': False", "'username': 'deploy'", "https://minio.example:9000",
                    "'region_name': 'eu-1'", "'max_files': 200", "files.example/srv/sessions",
                    f"'secret': '{REDACTED}'"):
        assert visible in shown, visible


def test_every_printable_form_hides_the_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """str(), f-strings, logging and the Locations repr (a URL password) hide them too."""
    store = _store(tmp_path)
    context = store.context()
    with caplog.at_level(logging.INFO):
        logging.getLogger("test.secrets").info("context %s, locations %r", context,
                                               store.locations)
    for text in (str(context), f"{context!s} {context!r}", repr(store.locations),
                 caplog.text, repr(SourceContext(store.locations, context.settings))):
        for secret in SECRETS:
            assert secret not in text, (secret, text)
    assert "sftp://deploy:<redacted>@files.example/srv/sessions" in repr(store.locations)


def test_redaction_keeps_what_is_not_secret() -> None:
    """A lone `key` (no secret beside it) is a name, not a credential; empty credentials stay
    visible so a missing one can be seen; the input is never changed."""
    assert redact_secrets({"key": "sessions/_index.json", "anon": True}) == {
        "key": "sessions/_index.json", "anon": True}
    options = {"key": "AKIA", "token": "", "password": None,
               "headers": {"Authorization": "Bearer abc"}, "hosts": ["a:1", "b:2"]}
    shown = redact_secrets(options)
    assert shown == {"key": REDACTED, "token": "", "password": None,
                     "headers": {"Authorization": REDACTED}, "hosts": ["a:1", "b:2"]}
    assert options["headers"] == {"Authorization": "Bearer abc"}
    assert redact_secrets("https://user:pw@host:9000/x") == f"https://user:{REDACTED}@host:9000/x"
    assert redact_secrets("s3://bucket/a@b:c") == "s3://bucket/a@b:c"


def test_a_session_url_password_never_reaches_an_error():
    """json_fs names the storage URL in its errors: the password in it is hidden."""
    from hermes_sessions_json_fs.storage import open_folder

    from hermes_sessions_core.errors import StorageError

    folder = open_folder("sftp://me:hunter2@127.0.0.1:1/x", {"timeout": 0.5})
    assert "hunter2" not in folder.url and "me:" in folder.url
    with pytest.raises(StorageError) as refused:  # nothing listens on port 1
        folder.names()
    assert "hunter2" not in str(refused.value)
