"""Crash soak for the Web UI store: thousands of SIGKILLs, then count what was lost.

A child saves sessions in a loop (create, grow, deliberate shrink, delete, with index updates)
and is killed with SIGKILL, at a random instant or at a chosen phase of a save; after every
kill each session file must hold its previous or its new content, and recovery plus an index
rebuild must give a sidebar that matches the files (tests/json_fs/crash_check.py). Prints the
number of kills and of losses, which must be 0.

Run: ``python bench/soak_crash.py [--kills 2000] [--phase-share 0.3] [--seed 1]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "json_fs"))

from crash_check import run_and_kill, verify  # noqa: E402
from workers import PHASES  # noqa: E402


def _completed(directory: Path) -> int:
    journal = directory / "journal.log"
    return journal.read_text().count('"phase": "done"') if journal.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=2000)
    parser.add_argument("--phase-share", type=float, default=0.3,
                        help="share of kills aimed at a named phase of a save (default 0.3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rotate", type=int, default=250,
                        help="start a fresh store every N kills, so checking stays fast (default 250)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--stop-on-loss", action="store_true",
                        help="stop at the first loss and keep the folder (printed) to inspect")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    outcomes: Counter[str] = Counter()
    losses = 0
    examples: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        directory = Path(folder)
        if args.stop_on_loss:
            directory = Path(tempfile.mkdtemp(dir=args.workdir))  # kept for inspection
            print(f"  working in {directory}", flush=True)
        saves = 0
        for kill in range(1, args.kills + 1):
            if args.rotate and kill > 1 and (kill - 1) % args.rotate == 0 and not args.stop_on_loss:
                saves += _completed(directory)
                directory = Path(tempfile.mkdtemp(dir=folder))
            phase = rng.choice(PHASES) if rng.random() < args.phase_share else None
            outcome = run_and_kill(directory, 10_000 + kill, phase=phase, nth=rng.randint(1, 4),
                                   rng=rng)
            outcomes[f"{phase or 'random'}:{outcome}"] += 1
            problems = verify(directory)
            if problems:
                losses += len(problems)
                examples.extend(problems[:3])
                print(f"  kill {kill} ({phase or 'random'}, {outcome}): {problems[:3]}", flush=True)
                if args.stop_on_loss:
                    break
            if kill % 100 == 0:
                rate = kill / (time.monotonic() - started)
                print(f"  {kill} kills, {losses} losses ({rate:.1f} kills/s)", flush=True)
        saves += _completed(directory)
    print(f"kills: {args.kills}  completed operations before kills: {saves}  losses: {losses}")
    print("kills by phase: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    for example in examples[:10]:
        print(f"  loss: {example}")
    print(f"elapsed: {time.monotonic() - started:.0f} s")
    return 1 if losses else 0


if __name__ == "__main__":
    raise SystemExit(main())
