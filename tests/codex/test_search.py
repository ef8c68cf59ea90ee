"""Search over generated rollouts: sub-agent threads are never hits (they are not rows), and
a root on another machine answers under its scoped ids."""

from __future__ import annotations

from pathlib import Path

import hermes_sessions_codex

from hermes_sessions_core.search import parse_query
from hermes_sessions_core.testing.harness import SourceHarness

from .conftest import Rollout

PARENT = "0199dddd-0000-7000-8000-0000000000a1"
CHILD = "0199dddd-0000-7000-8000-0000000000c1"
LAPTOP = "0199dddd-0000-7000-8000-0000000000b1"


def _search(harness: SourceHarness, text: str) -> list[tuple[str, str]]:
    (answer,) = harness.manager.hook.hermes_sessions_search(
        context=harness.context(), query=parse_query(text, include_archived=True))
    return [(hit.session_id, hit.match_type) for hit in answer.hits]


def test_subagents_are_not_hits_and_machines_scope_ids(codex_home: Path, tmp_path: Path,
                                                       locations) -> None:
    laptop = tmp_path / "laptop"
    Rollout(PARENT).prompt("zebra migration plan").answer("the zebra moves").write(codex_home)
    Rollout(CHILD, source={"subagent": {"thread_spawn": {"parent_thread_id": PARENT}}}) \
        .prompt("zebra sub task").answer("zebra done").write(codex_home)
    Rollout(LAPTOP).prompt("zebra on the laptop").answer("ok").write(laptop)
    harness = SourceHarness(hermes_sessions_codex, locations, {"codex": {
        "home": str(codex_home), "roots": [{"url": str(laptop), "machine": "laptop"}]}})
    found = _search(harness, "zebra")
    sessions = {session for session, _kind in found}
    assert sessions == {f"codex_{PARENT}", f"codex_laptop__{LAPTOP}"}
    assert (f"codex_{PARENT}", "title") in found
    assert (f"codex_laptop__{LAPTOP}", "title") in found
