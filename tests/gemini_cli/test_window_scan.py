"""Listing larger chats from a head and a tail window: what the windows tell (title, times,
model, summary), how little is read, and the whole parse that makes the row exact later."""

from __future__ import annotations

import pytest
from hermes_sessions_gemini_cli import list_gemini_rows, reading

from .conftest import gemini, user

SESSION = "88888888-2222-4333-8444-555555555555"
WINDOW = 16 * 1024


@pytest.fixture
def reads(monkeypatch):
    """Bytes read from chats, per call of the window reader and the whole-file reader."""
    seen: list[int] = []
    windows, whole = reading.read_windows, reading.read_range

    def counted_windows(path, size, head, tail):
        first, last, start = windows(path, size, head, tail)
        seen.append(len(first) + len(last))
        return first, last, start

    def counted_range(fd, start, end):
        data = whole(fd, start, end)
        seen.append(len(data))
        return data

    from hermes_sessions_gemini_cli import window_scan
    monkeypatch.setattr(window_scan, "read_windows", counted_windows)
    monkeypatch.setattr(reading, "read_range", counted_range)
    return seen


def _big_records(prompt: str = "the first prompt"):
    records = [user("u1", [{"text": "System: Please continue."}],
                    displayContent=[{"functionResponse": {"id": "c", "name": "x",
                                                          "response": {}}}]),
               user("u2", prompt)]
    for index in range(60):
        records.append(gemini(f"g{index}", "padding " * 300, model="gemini-old",
                              at="2026-02-01T10:05:00.000Z"))
    records.append(gemini("last", "done", model="gemini-new", at="2026-02-01T11:00:00.000Z"))
    records.append({"$set": {"lastUpdated": "2026-02-01T11:00:01.000Z"}})
    return records


def _only_windows(home, cache, **options):
    return list_gemini_rows([home.root], cache=cache, row_full_scan_bytes=WINDOW,
                            head_bytes=WINDOW, tail_bytes=WINDOW, exact_scan_bytes=1, **options)


def test_jsonl_row_from_windows_reads_only_the_windows(gemini_home, cache, reads):
    """A larger JSONL chat lists from one head and one tail window: title, model and times right."""
    path = gemini_home.jsonl(SESSION, _big_records())
    assert path.stat().st_size > 8 * WINDOW
    (row,) = _only_windows(gemini_home, cache).rows
    assert reads == [2 * WINDOW]
    assert row["stats_estimated"] is True
    assert row["title"] == "the first prompt"
    assert row["model"] == "gemini-new"
    assert row["created_at"] == 1769940000.0 and row["last_message_at"] == 1769943601.0


def test_json_row_from_windows(gemini_home, cache, reads):
    """A larger indented .json lists from its windows: summary after the messages, last model, lastUpdated."""
    gemini_home.json(SESSION, _big_records()[:-1], summary="Gemini's own summary",
                     lastUpdated="2026-02-01T11:00:01.000Z")
    (row,) = _only_windows(gemini_home, cache).rows
    assert reads == [2 * WINDOW]
    assert (row["title"], row["model"]) == ("Gemini's own summary", "gemini-new")
    assert row["last_message_at"] == 1769943601.0


def test_summary_in_the_tail_wins_over_the_prompt(gemini_home, cache):
    """A summary $set in the tail window is the title of a windowed row."""
    gemini_home.jsonl(SESSION, [*_big_records(), {"$set": {"summary": "Short summary"}}])
    assert _only_windows(gemini_home, cache).rows[0]["title"] == "Short summary"


def test_a_later_listing_makes_the_row_exact(gemini_home, cache):
    """The budget left after windows goes to whole parses: counts and tokens become exact."""
    gemini_home.jsonl(SESSION, _big_records())
    _only_windows(gemini_home, cache)
    (row,) = list_gemini_rows([gemini_home.root], cache=cache, row_full_scan_bytes=WINDOW).rows
    assert "stats_estimated" not in row
    assert (row["message_count"], row["user_message_count"]) == (62, 1)
    assert row["output_tokens"] == 61 * 10


def test_a_file_larger_than_the_budget_is_made_exact_by_an_idle_listing(gemini_home, cache):
    """A file larger than exact_scan_bytes is still made exact, by a listing with nothing else to read."""
    gemini_home.jsonl(SESSION, _big_records())
    _only_windows(gemini_home, cache)
    (row,) = list_gemini_rows([gemini_home.root], cache=cache, row_full_scan_bytes=WINDOW,
                              exact_scan_bytes=WINDOW).rows
    assert "stats_estimated" not in row


def test_unexpected_layout_is_parsed_whole(gemini_home, cache):
    """A .json not written by JSON.stringify(…, null, 2) (here minified) has no window
    layout to trust: the listing parses it instead."""
    import json
    path = gemini_home.json(SESSION, _big_records()[:-1])
    path.write_text(json.dumps(json.loads(path.read_text()), separators=(",", ":")))
    (row,) = _only_windows(gemini_home, cache).rows
    assert "stats_estimated" not in row and row["title"] == "the first prompt"


def test_long_session_record_gets_a_larger_head(gemini_home, cache, reads):
    """A session record longer than the head window gets one larger head read, not a whole parse."""
    directories = [f"/home/me/project-{index:05d}" for index in range(2000)]
    gemini_home.jsonl(SESSION, _big_records(), directories=directories)
    (row,) = _only_windows(gemini_home, cache).rows
    assert row["stats_estimated"] is True and row["title"] == "the first prompt"
    assert len(reads) == 2 and max(reads) <= 17 * WINDOW
