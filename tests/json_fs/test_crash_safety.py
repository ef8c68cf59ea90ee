"""A process killed at any instant leaves every session as it was or as it became (issue 3).

A child saves sessions in a loop (create, grow, deliberate shrink, delete, with index
updates) and is SIGKILLed: first at each phase of a save in turn, then at random instants.
After every kill each file parses and holds its previous or its new content, and recovery
plus an index rebuild gives a sidebar that matches the files. bench/soak_crash.py runs
thousands of kills.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from .crash_check import run_and_kill, verify
from .workers import PHASES


@pytest.mark.timeout(300)
def test_kills_at_every_phase_and_at_random_lose_nothing(tmp_path):
    rng = random.Random(20261123)
    outcomes: Counter[str] = Counter()
    seed = 0
    plan = [(phase, nth) for phase in PHASES for nth in (1, 3)] + [(None, 0)] * 12
    for phase, nth in plan:
        seed += 1
        outcome = run_and_kill(tmp_path, seed, phase=phase, nth=nth, rng=rng)
        outcomes[f"{phase or 'random'}:{outcome}"] += 1
        problems = verify(tmp_path)
        assert problems == [], f"after kill {seed} ({phase or 'random'}): {problems}"
    for phase in PHASES:  # each phase really was reached and the worker died there
        assert outcomes[f"{phase}:self-kill"] >= 1, (phase, outcomes)
    journal = (tmp_path / "journal.log").read_text().count('"phase": "done"')
    assert journal > 20, "the workers completed too few saves to mean anything"
