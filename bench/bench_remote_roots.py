"""Claude Code roots on another machine: listing time and network requests against the same
transcripts read from a local folder, in the same run.

The transcripts are the Claude Code fixtures cloned under new ids. The SFTP root is the
local folder served by the suite's OpenSSH server; the S3 root is the same files uploaded to
the suite's SeaweedFS. Requests are counted at the wire: paramiko's SFTP requests, and the
HTTP requests aiobotocore sends.

    python bench/bench_remote_roots.py [--files 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hermes_sessions_claude_code import clear_default_cache  # noqa: E402

from hermes_sessions_core import Locations, SessionStore  # noqa: E402
from hermes_sessions_core.manager import make_plugin_manager  # noqa: E402
from hermes_sessions_core.remote_mirror import _MIRRORS  # noqa: E402
from tests.servers.openssh import SshServer  # noqa: E402
from tests.servers.seaweedfs import SeaweedServer  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "claude_code"
REQUESTS = {"count": 0}


def _count_requests() -> None:
    """Wrap the two places a request leaves this process."""
    import aiobotocore.endpoint
    import paramiko.sftp_client

    sftp_request = paramiko.sftp_client.SFTPClient._request

    def counted_sftp(self: Any, *args: Any, **kwargs: Any) -> Any:
        REQUESTS["count"] += 1
        return sftp_request(self, *args, **kwargs)

    paramiko.sftp_client.SFTPClient._request = counted_sftp  # type: ignore[method-assign]
    http_send = aiobotocore.endpoint.AioEndpoint._send

    async def counted_http(self: Any, *args: Any, **kwargs: Any) -> Any:
        REQUESTS["count"] += 1
        return await http_send(self, *args, **kwargs)

    aiobotocore.endpoint.AioEndpoint._send = counted_http  # type: ignore[method-assign]


def make_projects(root: Path, files: int) -> None:
    """``files`` transcripts in 10 projects, cloned from the fixtures' session files."""
    sources = [p for p in FIXTURES.glob("*/*.jsonl") if not p.name.startswith("agent-")]
    for number in range(files):
        source = sources[number % len(sources)]
        project = root / f"-home-bench-project{number % 10}"
        project.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, project / f"{uuid.UUID(int=number + 1)}.jsonl")


def store_for(home: Path, local: Path | None, root: dict[str, Any] | None) -> SessionStore:
    empty = home / "no-claude"
    empty.mkdir(parents=True, exist_ok=True)
    return SessionStore(
        Locations.from_environment(
            base_home=home / "hermes", state_dir=home / "webui",
            claude_projects_dir=local or empty, environ={"HOME": str(home)},
        ),
        plugin_manager=make_plugin_manager(builtins=["claude_code"], entry_points=False),
        settings={
            "claude_code": {"roots": [root] if root else []},
            "core": {"remote_cache_dir": str(home / "mirrors"), "persist_caches": False},
        },
    )


def measure(make: Callable[[], SessionStore], runs: int, home: Path) -> dict[str, float]:
    """Cold (empty caches and mirror) and warm listings: median ms and requests."""
    cold_ms, cold_requests, warm_ms, warm_requests, rows = [], [], [], [], 0
    for _ in range(runs):
        clear_default_cache()
        _MIRRORS.clear()
        shutil.rmtree(home / "mirrors", ignore_errors=True)
        store = make()
        REQUESTS["count"] = 0
        started = time.perf_counter()
        rows = len(store.list_sessions(all_profiles=True).rows)
        cold_ms.append((time.perf_counter() - started) * 1000)
        cold_requests.append(REQUESTS["count"])
        REQUESTS["count"] = 0
        started = time.perf_counter()
        store.list_sessions(all_profiles=True)
        warm_ms.append((time.perf_counter() - started) * 1000)
        warm_requests.append(REQUESTS["count"])
        store.close()
    return {
        "rows": rows,
        "cold_ms": statistics.median(cold_ms), "cold_requests": statistics.median(cold_requests),
        "warm_ms": statistics.median(warm_ms), "warm_requests": statistics.median(warm_requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _count_requests()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        projects = work / "laptop" / "projects"
        make_projects(projects, args.files)
        results: dict[str, dict[str, float]] = {}
        results["local folder"] = measure(
            lambda: store_for(work / "local", projects, None), args.runs, work / "local")
        sshd = SshServer(work / "sshd")
        sshd.start()
        try:
            root = {"url": sshd.url(projects), "machine": "laptop",
                    "options": sshd.storage_options()}
            results["sftp://"] = measure(
                lambda: store_for(work / "sftp", None, root), args.runs, work / "sftp")
        finally:
            sshd.stop()
        s3 = SeaweedServer(work / "seaweedfs")
        s3.start()
        try:
            bucket = s3.new_bucket()
            client = s3.client()
            for path in projects.rglob("*.jsonl"):
                client.put_object(Bucket=bucket, Key=f"projects/{path.relative_to(projects)}",
                                  Body=path.read_bytes())
            root = {"url": f"s3://{bucket}/projects", "machine": "laptop",
                    "options": s3.storage_options()}
            results["s3://"] = measure(
                lambda: store_for(work / "s3", None, root), args.runs, work / "s3")
        finally:
            s3.stop()
    local = results["local folder"]
    print(f"Claude Code listing of {args.files} transcripts, median of {args.runs} runs")
    print(f"{'root':<14}{'rows':>6}{'cold ms':>10}{'cold req':>10}{'warm ms':>10}"
          f"{'warm req':>10}{'warm / local':>14}")
    for name, figures in results.items():
        print(f"{name:<14}{figures['rows']:>6.0f}{figures['cold_ms']:>10.1f}"
              f"{figures['cold_requests']:>10.0f}{figures['warm_ms']:>10.1f}"
              f"{figures['warm_requests']:>10.0f}"
              f"{figures['warm_ms'] / local['warm_ms']:>13.1f}x")


if __name__ == "__main__":
    main()
