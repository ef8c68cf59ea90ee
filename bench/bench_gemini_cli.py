"""Benchmark of the Gemini CLI source against the issue 17 numbers.

Builds 1,000 chats in a temporary ``tmp`` root from the three real fixtures (the 134 KB JSONL
chat, the 88 KB one-object JSON chat and the 1.4 KB JSONL one, in a 5:4:1 mix, each with its
own ``sessionId`` and times, 40 projects) and prints, in one run:

* the floor: stat every file and read 64 KiB from each, measured before and after;
* a cold listing (empty cache) as a ratio to the floor (target <= 2x);
* warm listings (nothing changed) as a percentage of the cold one (target <= 10%), while the
  estimated rows are being made exact (``exact_scan_bytes`` per listing) and once settled;
* a search over all of them: first (indexes every chat) and again (index up to date).

The OS page cache cannot be dropped here, so every figure reads warm page cache.

Run: ``python bench/bench_gemini_cli.py [--files 1000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hermes_sessions_gemini_cli import list_gemini_rows
from hermes_sessions_gemini_cli.cache import SourceCache
from hermes_sessions_gemini_cli.search import hermes_sessions_search

from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.search import parse_query

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "gemini_cli" / "tmp"
JSONL = next(FIXTURES.glob("9da8*/chats/*.jsonl")).read_bytes()
JSON = next(FIXTURES.glob("fb8e*/chats/*.json")).read_bytes()
SMALL = next(FIXTURES.glob("0b7d*/chats/*.jsonl")).read_bytes()
IDS = {JSONL: b"0ab84937-9fe7-4284-986a-33c832af0b6a", JSON: b"5b959dae-8655-4cd1-b10f-720b8c336ea2",
       SMALL: b"gemini_stage0_jsonl"}


def build(root: Path, files: int) -> list[Path]:
    paths = []
    base = 1_760_000_000
    for index in range(files):
        template = (JSONL, JSONL, JSONL, JSONL, JSONL, JSON, JSON, JSON, JSON, SMALL)[index % 10]
        session = f"{index:08x}-9fe7-4284-986a-{index:012x}"
        data = template.replace(IDS[template], session.encode())
        project = root / f"{index % 40:064x}" / "chats"
        project.mkdir(parents=True, exist_ok=True)
        suffix = ".json" if template is JSON else ".jsonl"
        path = project / f"session-2026-01-01T00-00-{session[:8]}{suffix}"
        path.write_bytes(data)
        os.utime(path, (base + index, base + index))
        paths.append(path)
    return paths


def floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        os.stat(path)
        with open(path, "rb") as handle:
            handle.read(64 * 1024)
    return time.perf_counter() - start


def timed(call: Any) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "gemini" / "tmp"
        paths = build(root, args.files)
        total = sum(p.stat().st_size for p in paths)
        print(f"built {len(paths)} chats, {total / 1e6:.0f} MB, in {root}")
        for path in paths:
            path.read_bytes()
        before = min(floor(paths) for _ in range(5))
        limit = args.files + 10
        colds = [timed(lambda: list_gemini_rows([root], cache=SourceCache(), max_files=limit))
                 for _ in range(5)]
        cache = SourceCache()
        first = list_gemini_rows([root], cache=cache, max_files=limit)
        estimated = sum(1 for row in first.rows if row.get("stats_estimated"))
        completing = []
        while True:
            start = time.perf_counter()
            rows = list_gemini_rows([root], cache=cache, max_files=limit).rows
            completing.append(time.perf_counter() - start)
            if not any(row.get("stats_estimated") for row in rows):
                break
        warms = [timed(lambda: list_gemini_rows([root], cache=cache, max_files=limit))
                 for _ in range(20)]
        after = min(floor(paths) for _ in range(5))
        reference = min(before, after)
        cold = min(colds)
        print(f"rows: {len(first.rows)}, problems: {len(first.problems)}, "
              f"{estimated} estimated after the cold listing")
        print(f"floor (stat + read 64 KiB) x {len(paths)}: before {before * 1e3:.1f} ms, "
              f"after {after * 1e3:.1f} ms")
        print(f"cold listing: best {cold * 1e3:.1f} ms, median {statistics.median(colds) * 1e3:.1f}"
              f" ms -> {cold / reference:.2f}x the floor (target <= 2x)")
        print(f"warm listings while estimated rows are made exact (exact_scan_bytes each): "
              f"{len(completing)} listings, median {statistics.median(completing) * 1e3:.1f} ms")
        print(f"warm listing (nothing changed, all exact): best {min(warms) * 1e3:.2f} ms, median "
              f"{statistics.median(warms) * 1e3:.2f} ms -> {100 * min(warms) / cold:.1f}% of cold "
              f"(target <= 10%)")
        home = Path(tmp) / "gemini"
        locations = Locations.from_environment(base_home=Path(tmp) / "hermes",
                                               state_dir=Path(tmp) / "state", environ={})
        context = SourceContext(locations, {"gemini_cli": {"home": str(home),
                                                           "max_files": limit}})
        query = parse_query("uv run", limit=20)
        first_search = timed(lambda: hermes_sessions_search(context, query))
        again = min(timed(lambda: hermes_sessions_search(context, query)) for _ in range(5))
        hits = hermes_sessions_search(context, query)
        print(f"search 'uv run' ({len(hits.hits) if hits else 0} hits): first {first_search:.2f} s "
              f"(indexes {len(paths)} chats), then {again * 1e3:.1f} ms "
              f"-> {again / reference:.2f}x the floor")


if __name__ == "__main__":
    main()
