"""Remote roots against the suite's real servers: OpenSSH (SFTP) and SeaweedFS (S3)."""

from __future__ import annotations

from ..servers.plugin import s3_server, sftp_server  # noqa: F401  (fixtures)
