"""Benchmark of the Claude Code source against the issue 5 numbers.

Builds 1,000 transcripts (about 2.6 MB each, from the real compaction fixture) in a temporary
projects root and prints, in one run:

* the reference: stat every file and read 64 KiB from each, measured before and after;
* a cold listing (empty cache) and its ratio to the reference (target <= 2x);
* a warm listing (nothing changed) as a percentage of the cold one (target <= 5%);
* opening one 20 MB transcript: time and tracemalloc peak.

The OS page cache cannot be dropped here, so every figure reads warm page cache; the reference
is measured first and again after the listings to show it did not drift.

Run: ``python bench/bench_claude_code.py [--files 1000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from hermes_sessions_claude_code import SummaryCache, claude_code_session_id, list_claude_code_rows, read_transcript

FIXTURE = (
    Path(__file__).resolve().parent.parent
    / "tests" / "fixtures" / "claude_code" / "-Users-user-repo" / "624a4a58-b34c-462d-a70d-13421c8125a8.jsonl"
)


def build(root: Path, files: int) -> list[Path]:
    data = FIXTURE.read_bytes()
    paths = []
    base = 1_760_000_000
    for index in range(files):
        project = root / f"-Users-bench-project-{index % 20:02d}"
        project.mkdir(parents=True, exist_ok=True)
        path = project / f"{index:08d}-0000-4000-8000-000000000000.jsonl"
        path.write_bytes(data)
        os.utime(path, (base + index, base + index))
        paths.append(path)
    return paths


def build_big(root: Path, size: int) -> Path:
    lines = FIXTURE.read_bytes().split(b"\n")
    head, middle = b"\n".join(lines[:12]) + b"\n", b"\n".join(lines[12:157]) + b"\n"
    path = root / "-Users-bench-big" / "big.jsonl"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.write(head)
        written = len(head)
        while written < size:
            handle.write(middle)
            written += len(middle)
    return path


def reference(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        os.stat(path)
        with open(path, "rb") as handle:
            handle.read(64 * 1024)
    return time.perf_counter() - start


def best(fn, repeat: int = 5) -> float:
    return min(fn() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "projects"
        paths = build(root, args.files)
        total = sum(p.stat().st_size for p in paths)
        print(f"built {len(paths)} transcripts, {total / 1e9:.2f} GB, in {root}")
        for path in paths:  # warm the page cache for every file the same way
            path.read_bytes()
        ref_before = best(lambda: reference(paths))

        def cold() -> float:
            start = time.perf_counter()
            list_claude_code_rows([root], cache=SummaryCache())
            return time.perf_counter() - start

        colds = [cold() for _ in range(5)]
        cache = SummaryCache()
        listing = list_claude_code_rows([root], cache=cache)

        def warm() -> float:
            start = time.perf_counter()
            list_claude_code_rows([root], cache=cache)
            return time.perf_counter() - start

        warms = [warm() for _ in range(10)]
        ref_after = best(lambda: reference(paths))
        cold_best, warm_best = min(colds), min(warms)
        ref_ms = min(ref_before, ref_after)
        print(f"rows listed (max_files cap): {len(listing.rows)}, problems: {len(listing.problems)}")
        print(f"reference stat + read 64 KiB x {len(paths)}: before {ref_before * 1e3:.1f} ms, after {ref_after * 1e3:.1f} ms")
        print(f"cold listing: best {cold_best * 1e3:.1f} ms, median {statistics.median(colds) * 1e3:.1f} ms "
              f"-> {cold_best / ref_ms:.2f}x the reference (target <= 2x)")
        print(f"warm listing: best {warm_best * 1e3:.2f} ms, median {statistics.median(warms) * 1e3:.2f} ms "
              f"-> {100 * warm_best / cold_best:.1f}% of cold (target <= 5%)")

        big = build_big(Path(tmp), 20 * 1024 * 1024)
        sid = claude_code_session_id(big)
        list_claude_code_rows([big.parent.parent], cache=SummaryCache())
        tracemalloc.start()
        start = time.perf_counter()
        transcript = read_transcript(sid, [big.parent.parent], cache=SummaryCache())
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        start = time.perf_counter()
        read_transcript(sid, [big.parent.parent], cache=SummaryCache())
        untraced = time.perf_counter() - start
        assert transcript is not None
        print(f"open 20 MB transcript ({big.stat().st_size / 1e6:.1f} MB, truncated={transcript.truncated}, "
              f"{transcript.total_count} messages parsed, {len(transcript.messages)} returned): "
              f"{untraced * 1e3:.0f} ms ({elapsed * 1e3:.0f} ms under tracemalloc), "
              f"peak {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
