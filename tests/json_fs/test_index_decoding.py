"""Decoding `_index.json` in batches keeps peak memory bounded and never changes the rows."""

from __future__ import annotations

import json

import pytest
from hermes_sessions_json_fs import index


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(index, "_BATCH_BYTES", 512)


def test_batches_give_the_same_rows_as_one_decode(small_batches):
    """Row boundaries are found only at depth 1; strings holding `},` and nested objects
    do not confuse the cut (JSON strings never contain a raw newline)."""
    rows = [{"session_id": f"s{i}", "title": "x\n  },\n  {" * (i % 3),
             "nested": {"a": [1, {"b": "  },\n  {"}]}} for i in range(2000)]
    data = json.dumps(rows, ensure_ascii=False, indent=2).encode()
    assert index.decode_entries(data) == rows


@pytest.mark.parametrize("layout", ["compact", "indent4", "empty"])
def test_other_layouts_are_decoded_whole(small_batches, layout):
    """Files not in our writer's layout (e.g. edited by hand) still load."""
    rows = [{"session_id": f"s{i}", "title": "t"} for i in range(50)]
    if layout == "empty":
        rows = []
    data = json.dumps(rows, indent=None if layout == "compact" else 4).encode()
    assert index.decode_entries(data) == rows


def test_a_torn_index_is_corrupt(small_batches):
    """S2.9: a truncated index reads as corrupt (then it is rebuilt), never as fewer rows."""
    rows = [{"session_id": f"s{i}"} for i in range(500)]
    data = json.dumps(rows, indent=2).encode()
    assert index.decode_entries(data[: len(data) // 2]) is None
    assert index.decode_entries(b'{"not": "a list"}') is None
