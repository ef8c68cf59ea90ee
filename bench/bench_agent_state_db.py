"""Benchmark the agent store source on generated ``state.db`` files (issue 4, S3.7, S3.23).

    python bench/bench_agent_state_db.py            # data in bench/.data (gitignored)
    python bench/bench_agent_state_db.py --data /tmp/bench

Prints the cold sidebar listing (limit 20) at 2,000, 20,000 and 100,000 sessions and the ratio
100k/2k (target <= 3x), a store shaped like a reported slow case (5,197 sessions, ~130k
messages), the warm cached call (target < 1 ms), opening the tip of a 10-segment chain, and
lineage metadata for 500 ids. Databases are made once by the fixture generator (without the
FTS index, which the reader never touches) and reused.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hermes_sessions_agent_state_db import (
    agent_messages,
    clear_cache,
    lineage_metadata,
    list_agent_rows,
)

from hermes_sessions_core.locations import Locations

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tests" / "fixtures" / "agent_state_db" / "make_state_db.py"
SIZES = (2_000, 20_000, 100_000)
CHAIN_PREFIX = "20990101_0000"


def generate(home: Path, sessions: int, *extra: str) -> Path:
    db = home / "state.db"
    if not db.exists():
        home.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(GENERATOR), str(db), "--sessions", str(sessions), "--seed", "7",
             "--no-fts", "--jobs-json", "auto", *extra],
            check=True, stdout=subprocess.DEVNULL,
        )
        print(f"  generated {db} in {time.perf_counter() - started:.1f} s", flush=True)
    return db


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        sessions = connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        messages = connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    return sessions, messages


def add_ten_segment_chain(db: Path) -> str:
    """Append a 10-segment compression chain (10 messages each) and return its tip id."""
    ids = [f"{CHAIN_PREFIX}{index:02d}_c0ffee" for index in range(10)]
    with sqlite3.connect(db) as connection:
        if connection.execute("SELECT 1 FROM sessions WHERE id = ?", (ids[-1],)).fetchone():
            return ids[-1]
        start = 4_000_000_000.0
        for index, session_id in enumerate(ids):
            began = start + index * 1000
            connection.execute(
                "INSERT INTO sessions (id, source, parent_session_id, started_at, ended_at, "
                "end_reason, title, message_count) VALUES (?, 'cli', ?, ?, ?, ?, ?, 10)",
                (session_id, ids[index - 1] if index else None, began,
                 began + 900 if index < 9 else None, "compression" if index < 9 else None,
                 "Bench chain" if index == 0 else None),
            )
            connection.executemany(
                "INSERT INTO messages (session_id, role, content, timestamp) VALUES (?, ?, ?, ?)",
                [(session_id, "user" if m % 2 == 0 else "assistant", f"message {m}", began + m)
                 for m in range(10)],
            )
    return ids[-1]


def timed(function, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def cold_listing(home: Path) -> float:
    locations = Locations.from_environment(base_home=home, state_dir=home / "webui")

    def call() -> None:
        clear_cache()
        listing = list_agent_rows(locations, "default", limit=20, ttl=0)
        assert len(listing.rows) == 20 and not listing.problems, listing.problems

    call()  # first open creates the -wal/-shm files
    return timed(call, 7)


def warm_listing(home: Path) -> float:
    locations = Locations.from_environment(base_home=home, state_dir=home / "webui")
    clear_cache()
    for _ in range(3):
        list_agent_rows(locations, "default", limit=20)
    calls = 2000
    started = time.perf_counter()
    for _ in range(calls):
        list_agent_rows(locations, "default", limit=20)
    return (time.perf_counter() - started) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / ".data")
    args = parser.parse_args()
    data: Path = args.data
    print("preparing databases (first run only)", flush=True)
    homes = {size: data / f"sessions_{size}" for size in SIZES}
    for size, home in homes.items():
        generate(home, size)
    slow_home = data / "reported_5197"
    generate(slow_home, 5_197, "--avg-messages", "26.1", "--seed", "2")

    print("\ncold sidebar rows (limit 20, no cache; median of 7)")
    cold: dict[int, float] = {}
    for size, home in homes.items():
        sessions, messages = counts(home / "state.db")
        cold[size] = cold_listing(home)
        print(f"  {sessions:>7,} sessions {messages:>9,} messages: {cold[size] * 1000:7.2f} ms")
    print(f"  ratio 100k/2k: {cold[100_000] / cold[2_000]:.2f}x (target <= 3x)")
    sessions, messages = counts(slow_home / "state.db")
    slow = cold_listing(slow_home)
    print(f"  reported shape {sessions:,} sessions {messages:,} messages: {slow * 1000:.2f} ms")

    warm = warm_listing(homes[100_000])
    print(f"\nwarm cached call (100k store, mean of 2000): {warm * 1e6:.1f} us (target < 1 ms)")

    chain_db = homes[20_000] / "state.db"
    tip = add_ten_segment_chain(chain_db)
    clear_cache()
    opened = timed(lambda: agent_messages(chain_db, tip), 9)
    stitched = len(agent_messages(chain_db, tip))
    print(f"\nopen tip of a 10-segment chain (20k store): {opened * 1000:.2f} ms, "
          f"{stitched} messages stitched")

    big = homes[100_000] / "state.db"
    with sqlite3.connect(f"file:{big}?mode=ro", uri=True) as connection:
        every = [row[0] for row in connection.execute("SELECT id FROM sessions")]
    ids = random.Random(3).sample(every, 500)
    meta_time = timed(lambda: lineage_metadata(big, ids), 7)
    answered = len(lineage_metadata(big, ids))
    print(f"lineage metadata for 500 ids (100k store): {meta_time * 1000:.2f} ms, "
          f"{answered} ids with lineage keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
