"""A real SFTP server for the tests: Debian's OpenSSH ``sshd`` on 127.0.0.1 and a free port.

Host key, user key and sshd_config are throwaway files made per test session; only that user
key may log in, only from loopback. ``.ci/run`` installs ``openssh-server`` with apt-get.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .processes import ServerUnavailable, die_with_parent, free_port, stop_process, wait_for_port

__all__ = ["SshServer", "find_sshd"]


def find_sshd() -> str | None:
    for candidate in ("/usr/sbin/sshd", shutil.which("sshd")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class SshServer:
    """One ``sshd -D`` process accepting a throwaway key for the current user."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.user = getpass.getuser()
        self.user_key = workdir / "user_key"
        self.log = workdir / "sshd.log"

    def start(self, timeout: float = 20) -> None:
        sshd = find_sshd()
        keygen = shutil.which("ssh-keygen")
        if sshd is None or keygen is None:
            raise ServerUnavailable(
                "no OpenSSH server: apt-get install -y openssh-server (as .ci/run does)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        host_key = self.workdir / "host_key"
        for key in (host_key, self.user_key):
            subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        authorized = self.workdir / "authorized_keys"
        authorized.write_text(Path(f"{self.user_key}.pub").read_text())
        authorized.chmod(0o600)
        if os.geteuid() == 0:
            # sshd running as root insists on its privilege-separation folder.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.port = free_port()
        config = self.workdir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {self.workdir / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized}",
            f"AllowUsers {self.user}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "UsePAM no",
            "StrictModes no",
            "MaxStartups 100",
            "MaxSessions 100",
            "Subsystem sftp internal-sftp",
            "LogLevel ERROR",
            "",
        ]))
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sshd, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent,
            )
        try:
            wait_for_port(self.port, self.process, self.log, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """paramiko connect options for this server, as a user would put them in settings."""
        options: dict[str, Any] = {
            "port": self.port,
            "username": self.user,
            "key_filename": str(self.user_key),
            "look_for_keys": False,
            "allow_agent": False,
            "timeout": 5,
        }
        options.update(extra)
        return options

    def url(self, folder: Path) -> str:
        return f"sftp://127.0.0.1{folder}"
