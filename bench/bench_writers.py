"""Multi-process save throughput on one machine: 1, 2 and 4 writer processes, one local store.

Each writer saves its own sessions and a few shared ones (tests/json_fs/workers.py, `writer`
mode); the figure is total completed saves per second across all writers, measured side by
side in one run, with the ratio to one writer. Every run ends with the same checks as the
test: no torn file and every index row matching its file.

Run: ``python bench/bench_writers.py [--saves 400] [--writers 1,2,4]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = HERE.parent / "tests" / "json_fs" / "workers.py"
sys.path.insert(0, str(WORKER.parent))


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
            out, err = child.communicate()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=400, help="saves per writer")
    parser.add_argument("--writers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.writers.split(",")]
    print(f"machine: {os.cpu_count()} cores; {args.saves} saves per writer (includes process start)")
    base = None
    for writers in counts:
        elapsed, mismatched = run(writers, args.saves)
        rate = writers * args.saves / elapsed
        base = base or rate
        print(f"{writers} writer(s): {writers * args.saves} saves in {elapsed:.2f} s = "
              f"{rate:,.0f} saves/s ({rate / base:.2f}x one writer); index rows disagreeing "
              f"with files: {mismatched}")


if __name__ == "__main__":
    main()
