"""Session-scoped fixtures that start the real test servers once and stop them at the end.

A server that cannot start fails every test that needs it when ``CI`` is set (so a missing
install step never passes as green), and skips them with the reason elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .openssh import SshServer
from .processes import ServerUnavailable
from .seaweedfs import SeaweedServer

__all__ = ["s3_server", "sftp_server", "unavailable"]


def unavailable(what: str, error: Exception) -> None:
    """Fail under CI, skip with the reason otherwise."""
    message = f"{what} could not be started: {error}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """SeaweedFS with its S3 gateway on 127.0.0.1 and a free port, for the whole run."""
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    try:
        server.start()
    except (ServerUnavailable, OSError) as error:
        unavailable("SeaweedFS (S3)", error)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """OpenSSH's sshd with a throwaway host key and user key on 127.0.0.1 and a free port."""
    server = SshServer(tmp_path_factory.mktemp("sshd"))
    try:
        server.start()
    except (ServerUnavailable, OSError) as error:
        unavailable("OpenSSH sshd (SFTP)", error)
    yield server
    server.stop()
