"""Which folder a chat belongs to (``.project_root``, else the ``directories`` whose SHA-256 is
the project hash, else unknown with the hash kept), and sub-agent chats: linked to their
parent's row, never rows of their own."""

from __future__ import annotations

from hermes_sessions_gemini_cli import list_gemini_rows, load_session

from .conftest import gemini, project_hash, user

PARENT = "33333333-2222-4333-8444-555555555555"


def _rows(home, cache):
    listing = list_gemini_rows([home.root], cache=cache)
    return {row["external_session_id"]: row for row in listing.rows}, listing


def test_project_root_file_names_the_workspace(gemini_home, cache):
    """<project>/.project_root holds the workspace; it is also where to resume."""
    gemini_home.jsonl(PARENT, [user("u1", "hi")], project="my-app")
    (gemini_home.root / "my-app" / ".project_root").write_text("/home/me/src/my-app")
    row = _rows(gemini_home, cache)[0][PARENT]
    assert row["workspace"] == row["resume_cwd"] == "/home/me/src/my-app"
    assert row["project"] == "my-app"


def test_directories_whose_hash_is_the_project_hash(gemini_home, cache):
    """Without .project_root, the directory whose SHA-256 is the projectHash is the workspace."""
    folder = "/home/me/src/tool"
    gemini_home.jsonl(PARENT, [user("u1", "hi")], project=project_hash(folder),
                      directories=["/tmp/other", folder])
    assert _rows(gemini_home, cache)[0][PARENT]["workspace"] == folder


def test_unknown_workspace_keeps_the_hash(gemini_home, cache):
    """When nothing maps the hash back, the workspace is None and project_hash stays."""
    gemini_home.jsonl(PARENT, [user("u1", "hi")], project="a" * 64, directories=["/tmp/x"])
    row = _rows(gemini_home, cache)[0][PARENT]
    assert row["workspace"] is None and row["project_hash"] == "a" * 64


def test_a_bad_project_root_file_is_ignored(gemini_home, cache):
    """A .project_root that holds no absolute path gives no workspace."""
    gemini_home.jsonl(PARENT, [user("u1", "hi")], project="slug")
    (gemini_home.root / "slug" / ".project_root").write_text("relative/path")
    assert _rows(gemini_home, cache)[0][PARENT]["workspace"] is None


def test_subagent_chats_are_linked_and_never_listed(gemini_home, cache):
    """chats/<parent sessionId>/<agent>.jsonl: counted on the parent's row, not a row."""
    gemini_home.jsonl(PARENT, [user("u1", "delegate it"), gemini("g1", "on it")])
    gemini_home.subagent(PARENT, "agent-one")
    gemini_home.subagent(PARENT, "agent-two")
    rows, _listing = _rows(gemini_home, cache)
    assert list(rows) == [PARENT]
    assert rows[PARENT]["subagent_count"] == 2
    assert [a["agent_id"] for a in rows[PARENT]["subagents"]] == ["agent-one", "agent-two"]


def test_what_sub_agents_spent_joins_the_parent_row_when_asked(gemini_home, cache):
    """Sub-agents are no rows, so ``hermes-sessions usage`` (``subagent_usage``) counts their
    recorded tokens on the parent's usage entries; the parent's own totals stay its own, and
    a sidebar listing, which never asks, reads no sub-agent chat."""
    from hermes_sessions_core.usage import merge_records, usage_records_of

    gemini_home.jsonl(PARENT, [user("u1", "delegate it"), gemini("g1", "on it")])
    gemini_home.subagent(PARENT, "agent-one")
    gemini_home.subagent(PARENT, "agent-two")
    (plain,) = list_gemini_rows([gemini_home.root], cache=cache).rows
    (asked,) = list_gemini_rows([gemini_home.root], cache=cache, subagent_usage=True).rows
    assert merge_records(usage_records_of(plain))["messages"] == 1
    total = merge_records(usage_records_of(asked))
    # each chat's one answer: 100 input of which 40 cached, 10 output, 5 thoughts
    assert (total["messages"], total["output_tokens"], total["cache_read_tokens"]) == (3, 30, 120)
    for name in ("input_tokens", "output_tokens", "cache_read_input_tokens"):
        assert asked[name] == plain[name], name
    (again,) = list_gemini_rows([gemini_home.root], cache=cache).rows
    assert usage_records_of(again) == usage_records_of(plain)  # the cached row is not reused


def test_subagent_kind_chat_without_a_parent_is_not_listed(gemini_home, cache):
    """A session-* chat whose record says kind: subagent names no parent: left out."""
    gemini_home.jsonl(PARENT, [user("u1", "main")])
    gemini_home.jsonl("44444444-aaaa-4333-8444-555555555555", [user("u1", "sub")],
                      kind="subagent")
    rows, listing = _rows(gemini_home, cache)
    assert list(rows) == [PARENT] and listing.problems == ()
    assert load_session("gemini_cli_44444444-aaaa-4333-8444-555555555555",
                        [gemini_home.root], cache=cache) is None
