"""Asking the OS to read a listing's next files ahead (hermes_sessions_core.read_ahead)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hermes_sessions_core import read_ahead
from hermes_sessions_core.read_ahead import head_and_tail, reading_ahead, start_reading


def test_items_come_in_order_each_asked_for_before_it_and_at_most_depth_ahead(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(read_ahead, "start_reading", lambda path, ranges: asked.append(path))
    items = [f"f{index}" for index in range(7)]
    seen = []
    for item in reading_ahead(items, lambda item: (item, [(0, 1)]), depth=3):
        assert item in asked  # asked for before it is summarised
        assert len(asked) <= min(len(items), len(seen) + 3)  # never more than depth ahead
        seen.append(item)
    assert seen == items and asked == items


def test_the_ranges_of_a_regular_file_are_asked_for(tmp_path: Path, monkeypatch):
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("this platform has no posix_fadvise: nothing is asked")
    calls: list[tuple[int, int, int]] = []
    monkeypatch.setattr(os, "posix_fadvise",
                        lambda fd, offset, length, advice: calls.append((offset, length, advice)))
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"x" * 1000)
    start_reading(str(path), [(0, 100), (900, 100), (5, 0)])
    assert calls == [(0, 100, os.POSIX_FADV_WILLNEED), (900, 100, os.POSIX_FADV_WILLNEED)]


def test_what_cannot_be_read_is_not_read_ahead_and_never_raises(tmp_path: Path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(os, "posix_fadvise", lambda *args: calls.append(1), raising=False)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    start_reading(str(fifo), [(0, 10)])  # opened without blocking, refused as not a file
    start_reading(str(tmp_path / "gone.jsonl"), [(0, 10)])
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "elsewhere")
    start_reading(str(tmp_path / "link.jsonl"), [(0, 10)])
    assert calls == []


def test_a_refused_advice_is_ignored(tmp_path: Path, monkeypatch):
    def refuse(*args):
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "posix_fadvise", refuse, raising=False)
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"x")
    start_reading(str(path), [(0, 1)])


def test_head_and_tail_are_what_a_windowed_summary_reads():
    assert head_and_tail("p", 100, 256, 64, 16) == ("p", [(0, 100)])
    assert head_and_tail("p", 1000, 256, 64, 16) == ("p", [(0, 64), (984, 16)])


def test_a_listing_loop_asks_only_for_what_its_cache_lacks(monkeypatch):
    from hermes_sessions_core.read_ahead import cached_or_read_ahead

    asked: list[str] = []
    monkeypatch.setattr(read_ahead, "start_reading", lambda path, ranges: asked.append(path))
    cache = {"b": "summary of b"}
    looked_up: list[str] = []

    def cached(name):
        looked_up.append(name)
        return cache.get(name)

    pairs = list(cached_or_read_ahead(["a", "b", "c"], cached, lambda name: (name, [(0, 1)])))
    assert pairs == [("a", None), ("b", "summary of b"), ("c", None)]
    assert asked == ["a", "c"] and looked_up == ["a", "b", "c"]  # each looked up once
    asked.clear()
    assert [value for _, value in cached_or_read_ahead(["b"], cached, lambda n: (n, []))] == [
        "summary of b"]
    assert asked == []
