"""Benchmark of the OpenCode source against the issue 17 numbers.

Generates 1,000 sessions with the fixture generator (``tests/fixtures/opencode/
make_opencode_db.py``: two turns each, a tool call, reasoning, per-step usage), written once
into ``opencode.db`` and once as the legacy JSON tree, and prints in one run:

* the floor: stat every legacy session file and read 64 KiB of each (1,000 files), measured
  before and after the listings;
* a cold listing (empty cache) of the database and of the JSON tree, as ratios to the floor
  (target <= 2x);
* a warm listing (nothing changed) as a percentage of the cold one (target <= 10%);
* a database listing right after OpenCode committed one message (only that session is read
  again);
* a search over the database: cold (transcripts read in batches), warm (cached), and one the
  SQL prefilter narrows.

The machine this runs on may be busy: each figure is the best of ``--repeat`` runs, and the
floor is measured between them (its smallest value is used, its largest is shown).

Every figure reads warm page cache (it cannot be dropped here).

Run: ``python bench/bench_opencode.py [--sessions 1000]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from hermes_sessions_opencode import OpenCodeSettings
from hermes_sessions_opencode.cache import OpenCodeCache
from hermes_sessions_opencode.listing import list_opencode_rows
from hermes_sessions_opencode.search import search_opencode

from hermes_sessions_core.search import parse_query

GENERATOR = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "opencode"
             / "make_opencode_db.py")


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_opencode_db", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(out: Path, sessions: int, storage: str) -> None:
    """``sessions`` realistic sessions in ``storage`` ("db" or "json") under ``out``."""
    gen = _generator()
    rnd = random.Random(17)
    world = gen.World(rnd)
    start = 1_775_000_000_000
    model = {"providerID": "anthropic", "modelID": "claude-sonnet-4-5"}
    project = world.project("%040x" % rnd.getrandbits(160), "/home/dev/bench", start)
    words = ["cache", "parser", "router", "auth", "billing", "search", "export", "queue"]
    for index in range(sessions):
        at = start + index * 600_000
        word = words[index % len(words)]
        session = world.session(project, "/home/dev/bench", f"Fix the {word} module #{index}",
                                at, "1.2.10", f"{word}-{index}")
        for turn in range(2):
            user = world.user(session, at + turn * 60_000 + 1000,
                              f"Step {turn + 1}: the {word} tests fail after the refactor; "
                              "find out why and fix it. " * 3, model)
            world.assistant(session, user, at + turn * 60_000 + 1500, model, [
                ([gen.reasoning(f"Probably the {word} fixture."),
                  gen.tool("bash", {"command": f"pytest tests/{word}"}, "2 failed, 40 passed\n" * 20,
                           f"pytest {word}", f"call_{index}_{turn}")],
                 (4000, 200, 50, 12000, 800), 0.021, 3000),
                ([gen.text(f"The {word} fixture was stale; I regenerated it. " * 4)],
                 (600, 120, 0, 16000, 0), 0.006, 1500),
            ])
    ids = [s["id"] for s in world.sessions]
    layout = {"db_sessions": ids if storage == "db" else [],
              "json_sessions": ids if storage == "json" else []}
    gen.write(world, layout, out)
    if storage == "json":
        (out / "opencode.db").unlink()


def floor_seconds(folder: Path) -> float:
    """stat + a 64 KiB read of every legacy session file."""
    files = sorted((folder / "storage" / "session").glob("*/*.json"))
    started = time.perf_counter()
    for path in files:
        os.stat(path)
        with open(path, "rb") as handle:
            handle.read(64 * 1024)
    return time.perf_counter() - started


def floor_tree_seconds(folder: Path) -> float:
    """stat + a 64 KiB read of every file a legacy listing must read: session and message
    files (a message file holds a message's role, model, tokens and cost)."""
    files = sorted((folder / "storage" / "session").glob("*/*.json"))
    files += sorted((folder / "storage" / "message").glob("*/*.json"))
    started = time.perf_counter()
    for path in files:
        os.stat(path)
        with open(path, "rb") as handle:
            handle.read(64 * 1024)
    return time.perf_counter() - started


def best(call: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def _commit_one_message(db: Path, index: int) -> None:
    """What OpenCode does all the time: one message more in one session."""
    with sqlite3.connect(db) as connection:
        (session,) = connection.execute(
            "SELECT id FROM session ORDER BY time_updated DESC LIMIT 1").fetchone()
        stamp = 1_790_000_000_000 + index
        connection.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)",
                           (f"msg_bench{index:08d}", session, stamp, stamp,
                            '{"role":"user","time":{"created":%d}}' % stamp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = OpenCodeSettings(max_sessions=max(args.sessions, 500),
                                max_search_sessions=max(args.sessions, 2000))
    with tempfile.TemporaryDirectory() as temp:
        db_home, json_home = Path(temp) / "db", Path(temp) / "json"
        build(db_home, args.sessions, "db")
        build(json_home, args.sessions, "json")
        print(f"{args.sessions} sessions; opencode.db {os.path.getsize(db_home / 'opencode.db'):,}"
              f" bytes; legacy tree {sum(1 for _ in json_home.rglob('*.json')):,} files; "
              f"best of {args.repeat}, floor measured between the runs")
        floors: list[float] = []

        def measured(call: Callable[[], Any]) -> float:
            floors.append(floor_seconds(json_home))
            return best(call, args.repeat)

        results = {}
        for name, home in (("database", db_home), ("JSON tree", json_home)):
            cold = measured(lambda: list_opencode_rows([str(home)], settings, OpenCodeCache()))
            cache = OpenCodeCache()
            listing = list_opencode_rows([str(home)], settings, cache)
            assert len(listing.rows) == args.sessions, (len(listing.rows), listing.problems)
            warm = measured(lambda: list_opencode_rows([str(home)], settings, cache))
            results[name] = (cold, warm, cache)
        db_cache = results["database"][2]
        commits = iter(range(10_000))
        after_commit = measured(lambda: (_commit_one_message(db_home / "opencode.db",
                                                             next(commits)),
                                         list_opencode_rows([str(db_home)], settings, db_cache)))
        floor = min(floors)
        tree_floor = min(floor_tree_seconds(json_home) for _ in range(args.repeat))
        print(f"floor (stat + 64 KiB read of {args.sessions} legacy session files): "
              f"{floor * 1000:.1f} ms (min of {len(floors)}; max {max(floors) * 1000:.1f} ms)")
        for name, (cold, warm, _cache) in results.items():
            print(f"{name}: cold listing {cold * 1000:.1f} ms = {cold / floor:.2f}x floor;"
                  f" warm {warm * 1000:.2f} ms = {100 * warm / cold:.1f}% of cold")
        tree_cold = results["JSON tree"][0]
        print(f"JSON tree against the files it must read (session + message files, stat + "
              f"64 KiB each): floor {tree_floor * 1000:.1f} ms, cold = "
              f"{tree_cold / tree_floor:.2f}x")
        print(f"database after one commit (a write of one message, then a listing): "
              f"{after_commit * 1000:.1f} ms = {100 * after_commit / results['database'][0]:.1f}% "
              "of cold")
        query = parse_query("regenerated fixture", limit=50)
        cache = OpenCodeCache()
        list_opencode_rows([str(db_home)], settings, cache)
        started = time.perf_counter()
        hits = search_opencode([str(db_home)], query, settings, cache)
        cold_search = time.perf_counter() - started
        warm_search = best(lambda: search_opencode([str(db_home)], query, settings, cache))
        narrow = parse_query("parser module #17")
        narrow_search = best(lambda: search_opencode([str(db_home)], narrow, settings,
                                                     OpenCodeCache()))
        print(f"search 'regenerated fixture' (every session matches, {len(hits.hits)} hits): "
              f"cold {cold_search * 1000:.0f} ms, warm {warm_search * 1000:.0f} ms")
        print(f"search 'parser module #17' (SQL prefilter keeps few sessions), empty cache: "
              f"{narrow_search * 1000:.0f} ms")


if __name__ == "__main__":
    main()
