"""Benchmark of the Codex source against the issue 17 numbers.

Builds 1,000 rollouts (copies of the real 748 KB CLI rollout, each with its own thread id, one
per minute across ten days) under a temporary Codex home and prints, in one run:

* the floor: stat every file and read 64 KiB from each, measured before and after;
* a cold listing (empty cache) as a ratio to the floor (target <= 2x), with the default
  ``max_files`` (200) and with every file listed (``max_files=1000``);
* a warm listing (nothing changed) as a percentage of the cold one (target <= 10%), while
  exact counts are still being completed (``count_scan_bytes`` per listing) and once settled;
* a search over all 1,000 rollouts: the first (index built) and a warm one.

The OS page cache cannot be dropped here, so every figure reads warm page cache.

Run: ``python bench/bench_codex.py [--files 1000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from hermes_sessions_codex.cache import CodexCache
from hermes_sessions_codex.listing import list_codex_rows
from hermes_sessions_codex.search import RolloutIndex
from hermes_sessions_codex.settings import CodexSettings

from hermes_sessions_core.search import parse_query

THREAD = "019e1625-789d-76c0-80ab-3724b5ddb799"
FIXTURE = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "codex" / "sessions"
    / "2026" / "05" / "11" / f"rollout-2026-05-11T11-26-55-{THREAD}.jsonl"
)


def build(home: Path, files: int) -> list[Path]:
    data = FIXTURE.read_bytes()
    paths = []
    base = 1_778_000_000
    for index in range(files):
        thread = f"019e{index:04x}-789d-76c0-80ab-3724b5ddb799"
        day = 1 + index // 100
        folder = home / "sessions" / "2026" / "05" / f"{day:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"rollout-2026-05-{day:02d}T10-00-00-{thread}.jsonl"
        path.write_bytes(data.replace(THREAD.encode(), thread.encode()))
        os.utime(path, (base + index * 60, base + index * 60))
        paths.append(path)
    return paths


def floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        os.stat(path)
        with open(path, "rb") as handle:
            handle.read(64 * 1024)
    return time.perf_counter() - start


def walk(home: Path) -> float:
    """The warm floor: one scandir walk of the dated folders with a stat per file."""
    start = time.perf_counter()
    for year in os.scandir(home / "sessions"):
        for month in os.scandir(year.path):
            for day in os.scandir(month.path):
                for entry in os.scandir(day.path):
                    entry.stat(follow_symlinks=False)
    return time.perf_counter() - start


def best(fn, repeat: int = 5) -> float:
    return min(fn() for _ in range(repeat))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "codex"
        paths = build(home, args.files)
        total = sum(p.stat().st_size for p in paths)
        print(f"built {len(paths)} rollouts, {total / 1e9:.2f} GB, in {home}")
        for path in paths:
            path.read_bytes()
        ref_before = best(lambda: floor(paths))
        for label, settings in (("default max_files=200", CodexSettings()),
                                (f"max_files={args.files}", CodexSettings(max_files=args.files))):
            colds, floors = [], []
            for _ in range(7):  # interleaved, so both see the same machine load
                floors.append(floor(paths))
                colds.append(timed(
                    lambda: list_codex_rows([home], settings=settings, cache=CodexCache())))
            reference = min(floors)
            cache = CodexCache()
            listing = list_codex_rows([home], settings=settings, cache=cache)
            estimated = sum(1 for row in listing.rows if row.get("stats_estimated"))
            pending = [timed(lambda: list_codex_rows([home], settings=settings, cache=cache))
                       for _ in range(3)]
            listings = 0
            settle = time.perf_counter()
            while any(row.get("stats_estimated")
                      for row in list_codex_rows([home], settings=settings, cache=cache).rows):
                listings += 1
            settle = time.perf_counter() - settle
            warms = [timed(lambda: list_codex_rows([home], settings=settings, cache=cache))
                     for _ in range(20)]
            cold = min(colds)
            print(f"[{label}] rows {len(listing.rows)}, problems {len(listing.problems)}")
            print(f"  cold listing: best {cold * 1e3:.1f} ms, median "
                  f"{statistics.median(colds) * 1e3:.1f} ms -> {cold / reference:.2f}x the floor "
                  f"({reference * 1e3:.1f} ms, measured between the listings) "
                  f"(target <= 2x); {estimated} rows estimated")
            print(f"  warm listing while exact counts complete: best {min(pending) * 1e3:.1f} ms "
                  f"-> {100 * min(pending) / cold:.1f}% of cold; all exact after {listings} more "
                  f"listings ({settle:.2f} s)")
            print(f"  warm listing, settled: best {min(warms) * 1e3:.2f} ms, median "
                  f"{statistics.median(warms) * 1e3:.2f} ms -> {100 * min(warms) / cold:.1f}% of "
                  "cold (target <= 10%)")
        ref_after = best(lambda: floor(paths))
        walked = best(lambda: walk(home), 10)
        print(f"warm floor: one scandir walk with a stat per file: {walked * 1e3:.2f} ms")
        print(f"floor stat + read 64 KiB x {len(paths)}: before {ref_before * 1e3:.1f} ms, "
              f"after {ref_after * 1e3:.1f} ms")
        index = RolloutIndex(Path(tmp) / "search" / "codex.sqlite", [home], CodexSettings())
        query = parse_query("compaction threshold", include_archived=True)
        first = timed(lambda: index.search(query))
        warm_search = min(timed(lambda: index.search(query)) for _ in range(5))
        hits = index.search(query).hits
        print(f"search 'compaction threshold' over {len(paths)} rollouts: first (builds the "
              f"index) {first:.2f} s; warm best {warm_search * 1e3:.1f} ms "
              f"-> {warm_search / min(ref_before, ref_after):.2f}x the floor; {len(hits)} hits")


if __name__ == "__main__":
    main()
