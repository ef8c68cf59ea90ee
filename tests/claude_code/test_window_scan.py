"""The windowed row scan of large transcripts (S4.16, S4.18): the facts it reads stay those of
a whole parse, title records anywhere in the windows still count, and counts stay flagged as
estimates until they are exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hermes_sessions_claude_code import SummaryCache, list_claude_code_rows
from hermes_sessions_claude_code import listing as listing_module
from hermes_sessions_claude_code.summary import record_epoch

from hermes_sessions_core.times import to_epoch

from .conftest import COMPACTION, SESSIONS, row_for

_FACTS = ("title", "workspace", "git_branch", "created_at", "updated_at", "model", "external_session_id")


def _facts(listing) -> dict[str, tuple]:
    return {row["external_session_id"]: tuple(row[name] for name in _FACTS) for row in listing.rows}


def test_windows_covering_the_file_give_the_whole_parse_facts(projects: Path) -> None:
    """S4.4-S4.7: with every fixture forced through the window scan (windows that cover it),
    title, workspace, branch, times and model equal those of a whole parse; only the counts
    are estimates, and they say so."""
    windowed = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=1,
                                     count_scan_bytes=1, head_bytes=256 * 1024, row_tail_bytes=256 * 1024)
    whole = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=10**9)
    assert _facts(windowed) == _facts(whole)
    assert len(windowed.rows) == len(SESSIONS)
    assert sum(1 for row in windowed.rows if row.get("stats_estimated")) >= len(SESSIONS) - 1


def test_small_windows_keep_the_opening_and_closing_facts(projects: Path) -> None:
    """S4.16: default-sized windows over files far larger than them still give the first
    time, workspace, first prompt title, last time and last model of a whole parse."""
    windowed = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=1,
                                     count_scan_bytes=1, head_bytes=8 * 1024, row_tail_bytes=8 * 1024)
    whole = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=10**9)
    row, exact = row_for(windowed, "624a4a58"), row_for(whole, "624a4a58")
    for name in ("title", "workspace", "git_branch", "created_at", "updated_at", "model"):
        assert row[name] == exact[name], name
    assert row["stats_estimated"] is True and "stats_estimated" not in exact


def _insert(path: Path, record: dict, at: int) -> None:
    """Insert ``record`` (compact, as Claude Code writes it) before the line holding offset ``at``."""
    data = path.read_bytes()
    cut = data.rfind(b"\n", 0, at) + 1
    line = json.dumps(record, separators=(",", ":")).encode()
    path.write_bytes(data[:cut] + line + b"\n" + data[cut:])


@pytest.mark.parametrize("from_end", [True, False])
def test_title_records_anywhere_in_the_windows_count(projects: Path, from_end: bool) -> None:
    """S4.4 (1): a custom title inside the 64 KiB head or tail window names the session even
    when the facts passes stop long before it (they read only a few lines)."""
    path = projects / COMPACTION
    size = path.stat().st_size
    title = {"type": "custom-title", "customTitle": "Renamed in the window", "sessionId": "x"}
    _insert(path, title, size - 3000 if from_end else 40 * 1024)
    listing = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=1, count_scan_bytes=1)
    assert row_for(listing, "624a4a58")["title"] == "Renamed in the window"


def test_title_records_apply_in_file_order(projects: Path) -> None:
    """S4.4 (1): the last custom title in the file wins, whichever window holds each."""
    path = projects / COMPACTION
    size = path.stat().st_size
    _insert(path, {"type": "custom-title", "customTitle": "Later"}, size - 3000)
    _insert(path, {"type": "custom-title", "customTitle": "Earlier"}, 30 * 1024)
    listing = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=1, count_scan_bytes=1)
    assert row_for(listing, "624a4a58")["title"] == "Later"


def test_cold_listing_spends_the_count_budget_on_new_rows_first(projects: Path, monkeypatch) -> None:
    """S4.18: a listing reads about count_scan_bytes at most, summaries first: when summarising
    changed files already used it, no exact count is advanced (rows stay stats_estimated), and
    the following listings complete the counts."""
    calls: list[int] = []
    real = listing_module.advance_counts

    def counting(*args, **kwargs):
        state, used = real(*args, **kwargs)
        calls.append(used)
        return state, used

    monkeypatch.setattr(listing_module, "advance_counts", counting)
    cache = SummaryCache()
    options = {"row_full_scan_bytes": 1, "count_scan_bytes": 256 * 1024}
    first = list_claude_code_rows([projects], cache=cache, **options)
    assert calls == [] and all(row.get("stats_estimated") for row in first.rows)
    for _ in range(40):
        rows = list_claude_code_rows([projects], cache=cache, **options).rows
        if not any(row.get("stats_estimated") for row in rows):
            break
    assert calls and not any(row.get("stats_estimated") for row in rows)
    exact = list_claude_code_rows([projects], cache=SummaryCache(), row_full_scan_bytes=10**9)
    assert {r["external_session_id"]: r["message_count"] for r in rows} == {
        r["external_session_id"]: r["message_count"] for r in exact.rows
    }


@pytest.mark.parametrize("value", [
    "2026-01-07T20:24:51.610Z", "2026-01-07T20:24:51Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
    "2026-13-07T20:24:51.610Z", " 2026-01-07T20:24:51Z", "2026-01-07T20:24:51+02:00", "1767817491.5",
    1767817491, None, True, "", "soon",
])
def test_record_times_read_as_the_core_parser_reads_them(value) -> None:
    """S0.1: the fast path for Claude Code's ``...Z`` stamps gives to_epoch's result exactly."""
    assert record_epoch(value) == to_epoch(value)
