"""The session model and its row (S1)."""

from __future__ import annotations

import re
import time
from types import MappingProxyType

import pytest

from hermes_sessions_core import InvalidSessionId, Session, SessionRow, title_from
from hermes_sessions_core.models import (
    is_valid_session_id,
    last_message_timestamp,
    new_session_id,
    require_valid_session_id,
)


def test_new_ids_are_12_lowercase_hex():
    """S1.1."""
    ids = {new_session_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{12}", i) for i in ids)


@pytest.mark.parametrize("good", ["abc", "a_b", "api-123", "20261123_101010_abcdef", "0"])
def test_valid_ids(good):
    """S1.2: 0-9 a-z _ -, not starting with _."""
    assert is_valid_session_id(good)


@pytest.mark.parametrize("bad", ["", "_x", "A", "a/b", "../x", "a.b", "a b", None, 5, "é"])
def test_invalid_ids_raise_naming_the_id(bad):
    """S1.3: one validator; a write names the bad id."""
    assert not is_valid_session_id(bad)
    with pytest.raises(InvalidSessionId) as raised:
        require_valid_session_id(bad)
    assert repr(bad) in str(raised.value)


def test_normalisation_on_construction(tmp_path):
    """S1.8: falsy times become now, title defaults, provider lower-cased, booleans,
    counts default to 0, odd containers replaced."""
    before = time.time()
    session = Session(
        title="", workspace=str(tmp_path), created_at=0, updated_at=None,
        model_provider="  OpenAI ", project_id="", pinned=1, archived=0, input_tokens=None,
        pending_attachments="nope", context_messages={}, gateway_routing_history="x",
        gateway_routing=[1], composer_draft="text", llm_title_generated="yes",
    )
    assert session.created_at >= before and session.updated_at >= before
    assert session.title == "Untitled"
    assert session.model_provider == "openai"
    assert session.project_id is None
    assert session.pinned is True and session.archived is False
    assert session.llm_title_generated is True
    assert session.input_tokens == 0 and session.output_tokens == 0
    assert session.pending_attachments == [] and session.context_messages == []
    assert session.gateway_routing_history == [] and session.gateway_routing is None
    assert session.composer_draft == {}
    assert Session(model_provider="   ", workspace=str(tmp_path)).model_provider is None


def test_paths_are_expanded_and_resolved(tmp_path, monkeypatch):
    """S1.8: ~ expanded, symlinks resolved for workspace and worktree paths."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("HOME", str(tmp_path))
    session = Session(workspace="~/link", worktree_path=str(link), worktree_repo_root="~/real")
    assert session.workspace == str(real) == session.worktree_path == session.worktree_repo_root


def test_record_never_holds_runtime_or_private_fields(tmp_path):
    """S1.5: `_` attributes and row-only values are never written; message keys are."""
    session = Session(workspace=str(tmp_path), messages=[{"role": "user", "content": "x", "_error": True}],
                      is_streaming=True, last_message_at=5, user_message_count=3)
    session._cache_hint = 1
    record = session.to_record()
    for name in ("is_streaming", "last_message_at", "user_message_count",
                 "has_pending_user_message", "_cache_hint", "_partial", "_store"):
        assert name not in record
    assert record["messages"][0]["_error"] is True


def test_message_count_is_recomputed_at_save_time(tmp_path):
    """S1.6: message_count equals len(messages), whatever the loaded value said."""
    session = Session.from_record({"session_id": "abc", "message_count": 99,
                                   "messages": [{"role": "user", "content": "a"}]},
                                  default_workspace=str(tmp_path))
    assert session.to_record()["message_count"] == 1


def test_title_from_first_user_text():
    """S1.11: first non-empty user text, list parts joined, stripped, cut to 64."""
    messages = [
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "   "},
        {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "image"},
                                      {"type": "text", "text": "part two " + "x" * 80}]},
    ]
    title = title_from(messages)
    assert title.startswith("part one part two") and len(title) == 64
    assert title_from([{"role": "assistant", "content": "x"}]) == "Untitled"


def test_ts_is_preferred_and_tool_messages_skipped():
    """S1.10, S1.14: `_ts` beats `timestamp`; the last non-tool message with a time counts."""
    messages = [
        {"role": "user", "content": "a", "timestamp": 10, "_ts": 20},
        {"role": "assistant", "content": "b", "timestamp": "2026-01-01T00:00:00Z"},
        {"role": "tool", "content": "c", "timestamp": 99999999},
    ]
    assert last_message_timestamp(messages) == 1767225600.0
    assert last_message_timestamp(messages[:1]) == 20.0


def test_row_keys_and_conditionals(tmp_path):
    """S1.12: row keys; parent only when set, worktree keys only with a path, identity when
    present; never pending_attachments, pending_started_at or llm_title_generated."""
    plain = Session(workspace=str(tmp_path)).compact()
    assert "parent_session_id" not in plain and "worktree_path" not in plain
    for absent in ("pending_attachments", "pending_started_at", "llm_title_generated", "user_id"):
        assert absent not in plain
    for present in ("last_message_at", "user_message_count", "has_pending_user_message",
                    "is_streaming", "message_count", "composer_draft"):
        assert present in plain
    full = Session(workspace=str(tmp_path), parent_session_id="p1", worktree_path=str(tmp_path),
                   worktree_branch="b", user_id="u", platform="telegram").compact()
    assert full["parent_session_id"] == "p1"
    assert full["worktree_branch"] == "b" and "worktree_created_at" in full
    assert full["user_id"] == "u" and full["platform"] == "telegram"


def test_pending_message_counts_and_times(tmp_path):
    """S1.13, S1.14, S1.15: a pending message makes the count at least 1 and sets
    has_pending_user_message; last_message_at is pending_started_at; users are counted."""
    session = Session(workspace=str(tmp_path), pending_user_message="hi", pending_started_at=123.0,
                      messages=[{"role": " User ", "content": "x", "timestamp": 5}])
    row = session.compact()
    assert row["message_count"] == 1 and row["has_pending_user_message"] is True
    assert row["last_message_at"] == 123.0
    assert row["user_message_count"] == 1
    empty = Session(workspace=str(tmp_path), pending_user_message="hi").compact()
    assert empty["message_count"] == 1


def test_is_streaming_only_for_live_streams(tmp_path):
    """S1.16: true only while active_stream_id is live; false without runtime info."""
    session = Session(workspace=str(tmp_path), active_stream_id="s1")
    assert session.compact()["is_streaming"] is False
    assert session.compact(include_runtime=True, active_stream_ids={"s1"})["is_streaming"] is True
    assert session.compact(include_runtime=True, active_stream_ids={"s2"})["is_streaming"] is False
    assert session.compact()["active_stream_id"] == "s1"


def test_partial_objects_report_recorded_counts(tmp_path):
    """S1.15, S8.17: a metadata-only object reports recorded values, never 0."""
    session = Session(workspace=str(tmp_path))
    session.mark_partial("metadata_only", message_count=40, user_message_count=20, last_message_at=7.0)
    row = session.compact()
    assert (row["message_count"], row["user_message_count"], row["last_message_at"]) == (40, 20, 7.0)


def test_rows_are_read_only_and_copies_are_independent():
    """S0.2: callers cannot alter a row; to_dict gives a copy of their own."""
    row = SessionRow.adopt({"session_id": "a", "title": "t"})
    assert isinstance(row.fields, MappingProxyType)
    with pytest.raises(TypeError):
        row.fields["title"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        row.fields = {}  # type: ignore[misc]
    copy = row.to_dict()
    copy["title"] = "changed"
    assert row["title"] == "t"
    assert row.replace(title="n")["title"] == "n" and row["title"] == "t"


def test_the_field_table_and_the_file_order_name_the_same_fields():
    """SESSION_FIELDS (how each field is read) and METADATA_FIELDS (the original's file order)
    are two lists of one set of names: they must not drift apart."""
    from hermes_sessions_core.field_groups import METADATA_FIELDS
    from hermes_sessions_core.session_fields import SESSION_FIELDS

    table = [name for name, _kind in SESSION_FIELDS]
    assert len(table) == len(set(table))
    extra = {"messages", "tool_calls", "context_messages", "_metadata_message_count"}
    assert set(table) == set(METADATA_FIELDS) | extra
