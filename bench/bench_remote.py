"""Save and list latency on loopback S3 (SeaweedFS) and SFTP (OpenSSH) against a local folder.

Same sessions, same run, same machine; the ratio column is remote / local. The servers are the
test suite's (tests/servers/), started here and stopped at the end.

    python bench/bench_remote.py [--sessions 200] [--messages 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hermes_sessions_json_fs import registry

from hermes_sessions_core import Locations, Session, SessionStore
from hermes_sessions_core.manager import make_plugin_manager
from tests.servers.openssh import SshServer
from tests.servers.processes import ServerUnavailable
from tests.servers.seaweedfs import SeaweedServer


def make_store(home: Path, url: str | None, options: dict[str, Any]) -> SessionStore:
    return SessionStore(
        Locations.from_environment(
            base_home=home / "hermes", state_dir=home / "webui", session_url=url,
            claude_projects_dir=home / "none", default_workspace=home, environ={},
        ),
        plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False),
        settings={"json_fs": {"storage_options": options}} if options else {},
    )


def sessions(count: int, messages: int) -> list[Session]:
    result = []
    for number in range(count):
        result.append(Session(
            session_id=f"bench{number:05d}", title=f"Benchmark session {number}",
            messages=[{"role": ("user", "assistant")[i % 2], "content": f"message {i} " + "x" * 400,
                       "timestamp": 1700000000 + i} for i in range(messages)],
        ))
    return result


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def run(name: str, home: Path, url: str | None, options: dict[str, Any], data: list[Session]) -> dict[str, float]:
    store = make_store(home, url, options)
    saves = [timed(lambda s=s: store.save(s)) for s in data]
    store.close()
    registry.forget_all()
    cold_store = make_store(home, url, options)
    cold = timed(cold_store.list_sessions)
    warm = statistics.median(timed(cold_store.list_sessions) for _ in range(5))
    rows = len(cold_store.list_sessions().rows)
    assert rows == len(data), (name, rows)
    resave = [timed(lambda s=s: cold_store.save(s)) for s in data[:50]]
    registry.forget_all()
    return {
        "save median ms": statistics.median(saves),
        "save p95 ms": sorted(saves)[int(len(saves) * 0.95) - 1],
        "re-save median ms": statistics.median(resave),
        "list cold ms": cold,
        "list warm ms": warm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    data = sessions(args.sessions, args.messages)
    work = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    results: dict[str, dict[str, float]] = {}
    results["local"] = run("local", work / "local", None, {}, data)
    s3 = SeaweedServer(work / "seaweedfs")
    try:
        s3.start()
        bucket = s3.new_bucket()
        results["s3"] = run("s3", work / "s3home", f"s3://{bucket}/sessions", s3.storage_options(), data)
    except ServerUnavailable as error:
        print(f"s3 skipped: {error}")
    finally:
        s3.stop()
    sshd = SshServer(work / "sshd")
    try:
        sshd.start()
        folder = work / "sftp-sessions"
        results["sftp"] = run("sftp", work / "sftphome", f"sftp://127.0.0.1{folder}",
                              sshd.storage_options(), data)
    except ServerUnavailable as error:
        print(f"sftp skipped: {error}")
    finally:
        sshd.stop()

    size = len(data[0].to_record()["messages"]) if data else 0
    print(f"{args.sessions} sessions x {size} messages (~{args.messages * 0.4:.0f} KB each), loopback servers")
    metrics = list(results["local"])
    print(f"{'metric':<20}" + "".join(f"{name:>12}" for name in results)
          + "".join(f"{name + '/local':>14}" for name in results if name != "local"))
    for metric in metrics:
        line = f"{metric:<20}" + "".join(f"{results[name][metric]:>12.2f}" for name in results)
        for name in results:
            if name != "local":
                line += f"{results[name][metric] / max(results['local'][metric], 1e-9):>13.1f}x"
        print(line)


if __name__ == "__main__":
    main()
