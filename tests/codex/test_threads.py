"""Sub-agent threads, forks, archived threads, and where rollouts are read from (CODEX_HOME,
the ``home`` setting, a root labelled with another machine)."""

from __future__ import annotations

from pathlib import Path

import hermes_sessions_codex
import pytest

from hermes_sessions_core.locations import Locations
from hermes_sessions_core.testing.harness import SourceHarness

from .conftest import Rollout

PARENT = "0199aaaa-0000-7000-8000-0000000000a1"
CHILD = "0199aaaa-0000-7000-8000-0000000000c1"
REVIEW = "0199aaaa-0000-7000-8000-0000000000c2"
FORK = "0199aaaa-0000-7000-8000-0000000000f1"
OLD = "0199aaaa-0000-7000-8000-0000000000d1"


def _harness(locations: Locations, home: Path, **settings) -> SourceHarness:
    return SourceHarness(hermes_sessions_codex, locations,
                         {"codex": {"home": str(home), **settings}})


@pytest.fixture
def family(codex_home: Path) -> Path:
    Rollout(PARENT).context().prompt("parent work").answer("spawning").write(codex_home)
    Rollout(CHILD, source={"subagent": {"thread_spawn": {
        "parent_thread_id": PARENT, "depth": 1}}}, agent_nickname="Ada",
        agent_role="explorer").context().prompt("explore the tree").answer("found").write(
        codex_home)
    Rollout(REVIEW, source={"subagent": "review"}).prompt("review it").answer("lgtm").write(
        codex_home)
    Rollout(FORK, forked_from_id=PARENT).context().prompt("parent work").answer("spawning") \
        .prompt("another way").answer("other answer").write(codex_home)
    return codex_home


def test_subagents_are_linked_never_listed(locations: Locations, family: Path) -> None:
    """A sub-agent thread is no row; its parent row counts and names it."""
    rows = {sid: row.to_dict() for sid, row in _harness(locations, family).listed_rows().items()}
    assert f"codex_{CHILD}" not in rows and f"codex_{REVIEW}" not in rows
    parent = rows[f"codex_{PARENT}"]
    assert parent["subagent_count"] == 1
    (entry,) = parent["subagents"]
    assert entry["session_id"] == f"codex_{CHILD}"
    assert (entry["agent_nickname"], entry["agent_role"]) == ("Ada", "explorer")


def test_what_a_subagent_spent_joins_its_parent_row(locations: Locations,
                                                   codex_home: Path) -> None:
    """A sub-agent is no row, so its recorded usage is counted on its parent's; the parent's
    own token totals stay its own."""
    from hermes_sessions_core.usage import merge_records, usage_records_of

    Rollout(PARENT).context().prompt("parent work").tokens((10, 0, 4, 0), (10, 0, 4, 0)) \
        .answer("spawning").write(codex_home)
    Rollout(CHILD, source={"subagent": {"thread_spawn": {"parent_thread_id": PARENT}}}) \
        .context("gpt-5.5-mini").prompt("explore").tokens((30, 20, 6, 1), (30, 20, 6, 1)) \
        .tokens((70, 20, 9, 1), (40, 0, 3, 0)).answer("found").write(codex_home)
    rows = {sid: row.to_dict() for sid, row in _harness(locations, codex_home).listed_rows().items()}
    parent = rows[f"codex_{PARENT}"]
    assert (parent["input_tokens"], parent["output_tokens"]) == (10, 4)
    records = usage_records_of(parent)
    assert {record["model"] for record in records} == {"gpt-5.5", "gpt-5.5-mini"}
    total = merge_records(records)
    # the child's two requests: input 30 (20 of it cached) then 40; Codex's input includes
    # the cached part, our input is the rest
    assert (total["messages"], total["output_tokens"]) == (3, 4 + 6 + 3)
    assert (total["input_tokens"], total["cache_read_tokens"]) == (10 + 10 + 40, 20)


def _forked(thread: str, copied: Rollout, **meta) -> Rollout:
    """A fork as Codex writes one: its own session_meta, then the source's records copied."""
    fork = Rollout(thread, forked_from_id=copied.thread, **meta)
    fork.lines.extend(copied.lines)
    fork.clock = copied.clock
    return fork


def _usage(row: dict) -> dict:
    from hermes_sessions_core.usage import merge_records, usage_records_of

    return merge_records(usage_records_of(row))


def test_a_fork_counts_only_its_own_requests(locations: Locations, codex_home: Path) -> None:
    """The requests a fork copied from its source thread count once, in the source's row;
    a fork of that fork copies both and counts only its own too."""
    source = Rollout(PARENT).context().prompt("first").tokens((10, 0, 1, 0), (10, 0, 1, 0)) \
        .answer("one").prompt("second").tokens((30, 0, 3, 0), (20, 0, 2, 0)).answer("two")
    source.write(codex_home)
    fork = _forked(FORK, source).prompt("another way") \
        .tokens((70, 0, 7, 0), (40, 0, 4, 0)).answer("other")
    fork.write(codex_home)
    _forked(OLD, fork).prompt("third way").tokens((150, 0, 15, 0), (80, 0, 8, 0)) \
        .answer("third").write(codex_home)
    rows = {sid: row.to_dict() for sid, row in _harness(locations, codex_home).listed_rows().items()}
    assert _usage(rows[f"codex_{PARENT}"])["input_tokens"] == 30
    own = rows[f"codex_{FORK}"]
    assert (_usage(own)["messages"], _usage(own)["input_tokens"]) == (1, 40)
    assert own["copied_requests"] == 2
    assert (_usage(rows[f"codex_{OLD}"])["input_tokens"], rows[f"codex_{OLD}"]["copied_requests"]) \
        == (80, 3)
    assert sum(_usage(row)["input_tokens"] for row in rows.values()) == 150  # Codex's total


def test_a_fork_whose_source_is_gone_counts_whole(locations: Locations,
                                                  codex_home: Path) -> None:
    source = Rollout(PARENT).context().prompt("first").tokens((10, 0, 1, 0), (10, 0, 1, 0)) \
        .answer("one")
    _forked(FORK, source).prompt("again").tokens((25, 0, 3, 0), (15, 0, 2, 0)).answer("two") \
        .write(codex_home)
    (row,) = [row.to_dict() for row in _harness(locations, codex_home).listed_rows().values()]
    assert (_usage(row)["input_tokens"], row.get("copied_requests")) == (25, None)


def test_a_subagent_forked_with_its_parents_context_adds_only_its_own(
        locations: Locations, codex_home: Path) -> None:
    parent = Rollout(PARENT).context().prompt("parent work") \
        .tokens((100, 0, 10, 0), (100, 0, 10, 0)).answer("spawning")
    parent.write(codex_home)
    _forked(CHILD, parent, source={"subagent": {"thread_spawn": {"parent_thread_id": PARENT}}}) \
        .prompt("explore").tokens((130, 0, 12, 0), (30, 0, 2, 0)).answer("found") \
        .write(codex_home)
    (row,) = [row.to_dict() for row in _harness(locations, codex_home).listed_rows().values()]
    assert (_usage(row)["messages"], _usage(row)["input_tokens"]) == (2, 130)


def test_a_subagent_opens_by_id_with_its_parent(locations: Locations, family: Path) -> None:
    harness = _harness(locations, family)
    child = harness.call_load(f"codex_{CHILD}")
    assert child is not None and child.parent_session_id == f"codex_{PARENT}"
    assert [m["content"] for m in child.messages] == ["explore the tree", "found"]


def test_a_fork_is_listed_with_its_source_thread(locations: Locations, family: Path) -> None:
    """Codex's backtrack makes a new thread: the user's own session, listed, with a parent."""
    rows = {sid: row.to_dict() for sid, row in _harness(locations, family).listed_rows().items()}
    fork = rows[f"codex_{FORK}"]
    assert fork["parent_session_id"] == f"codex_{PARENT}"
    assert fork["forked_from_thread_id"] == PARENT
    assert fork["resume_command"] == f"codex resume {FORK}"


def test_archived_threads_are_listed_as_archived(locations: Locations,
                                                 codex_home: Path) -> None:
    Rollout(OLD).context().prompt("from last year").answer("ok").write(codex_home, archived=True)
    harness = _harness(locations, codex_home)
    row = harness.listed_rows()[f"codex_{OLD}"].to_dict()
    assert row["archived"] is True
    store = harness.store()
    assert f"codex_{OLD}" not in {r.session_id for r in store.list_sessions().rows}
    shown = store.list_sessions(include_archived=True).rows
    assert f"codex_{OLD}" in {r.session_id for r in shown}
    assert harness.call_read_messages(f"codex_{OLD}") is not None


def test_codex_home_comes_from_the_environment(tmp_path: Path, codex_home: Path) -> None:
    """Without the setting, $CODEX_HOME (read from the store's environment) is the home."""
    Rollout(OLD).prompt("env home").answer("ok").write(codex_home)
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "claude", environ={"CODEX_HOME": str(codex_home)})
    harness = SourceHarness(hermes_sessions_codex, locations, {})
    assert f"codex_{OLD}" in harness.listed_rows()


def test_the_home_setting_wins_over_the_environment(tmp_path: Path, codex_home: Path) -> None:
    Rollout(OLD).prompt("setting home").answer("ok").write(codex_home)
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "claude", environ={"CODEX_HOME": str(tmp_path / "none")})
    harness = SourceHarness(hermes_sessions_codex, locations,
                            {"codex": {"home": str(codex_home)}})
    assert f"codex_{OLD}" in harness.listed_rows()


def test_a_root_labelled_with_a_machine_scopes_ids(locations: Locations, codex_home: Path,
                                                    tmp_path: Path) -> None:
    """A second Codex home configured as the laptop's: its rows carry ``machine`` and ids
    ``codex_laptop__<thread>``, and those ids open; this machine's rows are unchanged."""
    laptop = tmp_path / "laptop-codex"
    Rollout(PARENT).prompt("here").answer("ok").write(codex_home)
    Rollout(OLD).prompt("on the laptop").answer("ok").write(laptop)
    harness = _harness(locations, codex_home, roots=[{"url": str(laptop), "machine": "laptop"}])
    rows = {sid: row.to_dict() for sid, row in harness.listed_rows().items()}
    assert rows[f"codex_{PARENT}"].get("machine") is None
    remote = rows[f"codex_laptop__{OLD}"]
    assert remote["machine"] == "laptop" and remote["title"] == "on the laptop"
    session = harness.call_load(f"codex_laptop__{OLD}")
    assert session is not None and session.session_id == f"codex_laptop__{OLD}"
    transcript = harness.call_read_messages(f"codex_laptop__{OLD}")
    assert transcript is not None and transcript.messages[0]["content"] == "on the laptop"
    assert harness.call_load(f"codex_{OLD}") is None  # not on this machine


def test_a_thread_both_live_and_archived_is_one_row(locations: Locations,
                                                    codex_home: Path) -> None:
    Rollout(OLD).prompt("kept live").answer("ok").write(codex_home)
    Rollout(OLD).prompt("old copy").answer("ok").write(codex_home, archived=True)
    rows = _harness(locations, codex_home).listed_rows()
    assert [row.to_dict()["title"] for row in rows.values()] == ["kept live"]
