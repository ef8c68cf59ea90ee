"""What subagents spent, added to their parent's usage entries when asked (S9.10, issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

from hermes_sessions_claude_code import counts as counts_module
from hermes_sessions_claude_code import list_claude_code_rows

from hermes_sessions_core.usage import merge_records, usage_records_of

from .conftest import INLINE, SUBAGENTS_DIR, row_for


def _responses(paths: list[Path]) -> dict[tuple[str, str], dict]:
    """Each response's last usage, by (message id, request id), as a person would count."""
    last: dict[tuple[str, str], dict] = {}
    for path in paths:
        for line in path.read_bytes().splitlines():
            record = json.loads(line)
            message = record.get("message")
            if record.get("type") == "assistant" and isinstance(message, dict) and isinstance(
                    message.get("usage"), dict) and message.get("model") != "<synthetic>":
                last[(message["id"], str(record.get("requestId")))] = message["usage"]
    return last


def _summed(records: list[dict], name: str) -> int:
    return merge_records(records)[name]


def test_usage_of_folder_subagents_joins_the_parent_row(projects: Path, cache) -> None:
    plain = row_for(list_claude_code_rows([projects], cache=cache), "0ccf1a04")
    asked = row_for(
        list_claude_code_rows([projects], cache=cache, subagent_usage=True), "0ccf1a04"
    )
    agents = sorted((projects / SUBAGENTS_DIR[: -len(".jsonl")] / "subagents").glob("*.jsonl"))
    spent = _responses(agents)
    assert len(spent) == 10
    own, with_agents = usage_records_of(plain), usage_records_of(asked)
    assert _summed(with_agents, "messages") == _summed(own, "messages") + len(spent)
    assert _summed(with_agents, "output_tokens") == _summed(own, "output_tokens") + sum(
        usage["output_tokens"] for usage in spent.values())
    assert _summed(with_agents, "cache_read_tokens") == _summed(own, "cache_read_tokens") + sum(
        usage.get("cache_read_input_tokens", 0) for usage in spent.values())
    # S4.14: the row's own totals are the parent's responses alone either way
    for name in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
        assert asked[name] == plain[name], name


def test_flat_subagents_of_the_2_0_layout_count_too(projects: Path, cache) -> None:
    listing = list_claude_code_rows([projects], cache=cache, subagent_usage=True)
    row = row_for(listing, "4c2ddfdc")
    spent = _responses(sorted((projects / "-tmp-private").glob("agent-*.jsonl")))
    own = usage_records_of(row_for(list_claude_code_rows([projects]), "4c2ddfdc"))
    assert _summed(usage_records_of(row), "messages") == _summed(own, "messages") + len(spent)


def test_inline_sidechain_turns_of_1_0_count_as_subagents(projects: Path, cache) -> None:
    """A 1.0.x transcript keeps its subagents' turns inline (isSidechain): they are not the
    row's tokens (S4.14), and they join its usage entries when asked, each response once."""
    plain = row_for(list_claude_code_rows([projects], cache=cache), "5c0375b4")
    asked = row_for(list_claude_code_rows([projects], cache=cache, subagent_usage=True),
                    "5c0375b4")
    lines = [json.loads(line) for line in (projects / INLINE).read_bytes().splitlines()]
    sidechain = {}
    for record in lines:
        message = record.get("message")
        if record.get("isSidechain") and record.get("type") == "assistant" and isinstance(
                message, dict) and isinstance(message.get("usage"), dict):
            sidechain[message["id"]] = message["usage"]
    assert sidechain and plain["inline_subagent_count"] == 2
    own, with_agents = merge_records(usage_records_of(plain)), merge_records(
        usage_records_of(asked))
    assert with_agents["messages"] == own["messages"] + len(sidechain)
    assert with_agents["output_tokens"] == own["output_tokens"] + sum(
        usage["output_tokens"] for usage in sidechain.values())
    assert asked["output_tokens"] == plain["output_tokens"]


def test_a_parent_without_its_own_entries_keeps_its_totals(projects: Path, cache) -> None:
    """A row whose own usage has no per-response times counts as one entry from its totals;
    adding its subagents' entries must not drop that one."""
    parent = projects / SUBAGENTS_DIR
    lines = [json.loads(line) for line in parent.read_bytes().splitlines()]
    for record in lines:
        record.pop("timestamp", None)
    parent.write_text("".join(json.dumps(record) + "\n" for record in lines))
    row = row_for(list_claude_code_rows([projects], cache=cache, subagent_usage=True), "0ccf1a04")
    records = usage_records_of(row)
    assert _summed(records, "output_tokens") == row["output_tokens"] + sum(
        usage["output_tokens"] for usage in _responses(
            sorted((parent.parent / parent.stem / "subagents").glob("*.jsonl"))).values())


def test_each_subagent_version_is_read_once(projects: Path, cache, monkeypatch) -> None:
    list_claude_code_rows([projects], cache=cache, subagent_usage=True)
    reads: list[str] = []
    real = counts_module.advance_counts

    def counting(path, *args, **kwargs):
        reads.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr("hermes_sessions_claude_code.subagent_usage.advance_counts", counting)
    list_claude_code_rows([projects], cache=cache, subagent_usage=True)
    assert reads == []
    agent = next((projects / SUBAGENTS_DIR[: -len(".jsonl")] / "subagents").glob("*.jsonl"))
    with agent.open("ab") as handle:  # the subagent goes on: only it is read again
        handle.write(b'{"type":"assistant","isSidechain":true,"timestamp":"2026-01-22T10:00:00Z",'
                     b'"message":{"id":"msg_late","model":"claude-haiku-4-5",'
                     b'"usage":{"input_tokens":3,"output_tokens":4}}}\n')
    row = row_for(list_claude_code_rows([projects], cache=cache, subagent_usage=True), "0ccf1a04")
    assert reads == [str(agent)]
    assert any(record["model"] == "claude-haiku-4-5" for record in usage_records_of(row))


def test_an_overlong_or_broken_subagent_line_counts_as_nothing(projects: Path, cache) -> None:
    agent = next((projects / SUBAGENTS_DIR[: -len(".jsonl")] / "subagents").glob("*.jsonl"))
    before = usage_records_of(row_for(
        list_claude_code_rows([projects], cache=cache, subagent_usage=True), "0ccf1a04"))
    with agent.open("ab") as handle:
        handle.write(b'{"type":"assistant","isSidechain":true,"message":{"usage":'
                     + b'{"output_tokens":1},"content":"' + b"x" * 300_000 + b'"}}\n')
        handle.write(b'{"type":"assistant", not json\n\xff\xfe\n')
    after = usage_records_of(row_for(
        list_claude_code_rows([projects], cache=cache, subagent_usage=True, max_file_bytes=100_000),
        "0ccf1a04"))
    assert merge_records(after) == merge_records(before)


def test_a_subagent_response_without_a_time_still_counts(projects: Path, cache) -> None:
    """Its transcript then counts as one entry of its totals, on the file's last write."""
    agent = next((projects / SUBAGENTS_DIR[: -len(".jsonl")] / "subagents").glob("*.jsonl"))
    spent = _responses([agent])
    with agent.open("ab") as handle:
        handle.write(b'{"type":"assistant","isSidechain":true,"message":{"id":"msg_untimed",'
                     b'"usage":{"input_tokens":5,"output_tokens":7}}}\n')
    listing = list_claude_code_rows([projects], cache=cache, subagent_usage=True)
    records = usage_records_of(row_for(listing, "0ccf1a04"))
    untimed = [record for record in records if record["model"] is None]
    assert len(untimed) == 1 and untimed[0]["messages"] == 1
    assert untimed[0]["output_tokens"] == 7 + sum(u["output_tokens"] for u in spent.values())


def test_an_unreadable_subagent_transcript_is_a_problem(projects: Path, cache,
                                                       monkeypatch) -> None:
    """Its spending would be missing from the totals: the listing says so, and the rest of
    the row's usage stands. (Refused by the OS: file modes do not bind root, so the refusal
    is made where the file is opened.)"""
    agents = sorted((projects / SUBAGENTS_DIR[: -len(".jsonl")] / "subagents").glob("*.jsonl"))
    real = counts_module.advance_counts

    def refusing(path, *args, **kwargs):
        if path == str(agents[0]):
            raise PermissionError(13, "Permission denied", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr("hermes_sessions_claude_code.subagent_usage.advance_counts", refusing)
    listing = list_claude_code_rows([projects], cache=cache, subagent_usage=True)
    assert [(problem.path, problem.error_type) for problem in listing.problems] == [
        (str(agents[0]), "PermissionError")]
    spent = _responses(agents[1:])
    own = usage_records_of(row_for(list_claude_code_rows([projects]), "0ccf1a04"))
    assert merge_records(usage_records_of(row_for(listing, "0ccf1a04")))["messages"] == (
        merge_records(own)["messages"] + len(spent))
