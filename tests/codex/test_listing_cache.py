"""Bounded listings: large rollouts are summarised from windows, made exact within a byte
budget per listing, and an unchanged folder lists without opening a file."""

from __future__ import annotations

from pathlib import Path

import hermes_sessions_codex.counts as counts_module
import hermes_sessions_codex.parse as parse_module
import pytest
from hermes_sessions_codex.cache import CodexCache
from hermes_sessions_codex.listing import list_codex_rows
from hermes_sessions_codex.sessions import read_codex_transcript
from hermes_sessions_codex.settings import CodexSettings

from .conftest import Rollout

THREAD = "0199cccc-0000-7000-8000-000000000001"


def _big(home: Path) -> Path:
    rollout = Rollout(THREAD).context().injected().prompt("the big one")
    for number in range(300):
        rollout.reasoning().call(f"c{number}", f"cat file{number}", "line\n" * 300)
        rollout.tokens((1000 * (number + 1), 500 * number, 10 * (number + 1), 0),
                       (1000, 500 if number else 0, 10, 0))
    rollout.answer("finally").prompt("thanks").answer("welcome")
    return rollout.write(home)


def test_windows_then_exact_figures(codex_home: Path) -> None:
    """A cold listing reads only windows (estimated row, exact tokens); later listings
    replay the file within the budget until the counts equal the transcript's."""
    path = _big(codex_home)
    settings = CodexSettings(count_scan_bytes=128 * 1024)
    cache = CodexCache()
    first = list_codex_rows([codex_home], settings=settings, cache=cache).rows[0].to_dict()
    assert first["stats_estimated"] is True and first["title"] == "the big one"
    assert first["output_tokens"] == 3000 and first["input_tokens"] == 300000 - 500 * 299
    for _ in range(path.stat().st_size // (128 * 1024) + 2):
        row = list_codex_rows([codex_home], settings=settings, cache=cache).rows[0].to_dict()
    transcript = read_codex_transcript(THREAD, [codex_home])
    assert transcript is not None
    assert "stats_estimated" not in row
    assert row["message_count"] == transcript.total_count == 604
    assert row["user_message_count"] == 2
    assert row["usage"][0]["messages"] == 300


def test_a_warm_listing_opens_no_file(codex_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _big(codex_home)
    Rollout("0199cccc-0000-7000-8000-000000000002").prompt("small").answer("ok").write(codex_home)
    cache = CodexCache()
    list_codex_rows([codex_home], cache=cache)
    list_codex_rows([codex_home], cache=cache)  # completes any exact count left

    def refuse(*args, **kwargs):
        raise AssertionError("a warm listing opened a rollout")

    monkeypatch.setattr(parse_module, "open_regular", refuse)
    monkeypatch.setattr(counts_module, "open_regular", refuse)
    from hermes_sessions_core import read_ahead

    monkeypatch.setattr(read_ahead, "start_reading", refuse)  # nor asks the OS to read one
    rows = list_codex_rows([codex_home], cache=cache).rows
    assert len(rows) == 2


def test_a_cold_listing_reads_each_rollout_ahead_once(codex_home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS is asked to read each new rollout's windows ahead of its summary: the whole of
    a small one, the head and tail of a large one."""
    from hermes_sessions_core import read_ahead

    big = _big(codex_home)
    small = Rollout("0199cccc-0000-7000-8000-000000000002").prompt("small").answer("ok") \
        .write(codex_home)
    asked: dict[str, list[tuple[int, int]]] = {}
    monkeypatch.setattr(read_ahead, "start_reading",
                        lambda path, ranges: asked.setdefault(path, list(ranges)))
    settings = CodexSettings()
    list_codex_rows([codex_home], settings=settings, cache=CodexCache())
    size = big.stat().st_size
    assert asked == {
        str(small): [(0, small.stat().st_size)],
        str(big): [(0, settings.head_bytes), (size - settings.tail_bytes, settings.tail_bytes)],
    }


def test_a_grown_rollout_resumes_its_count(codex_home: Path) -> None:
    """Appending to a rollout changes its row: new prompt counted, the cache entry renewed."""
    rollout = Rollout(THREAD).context().prompt("one").answer("a")
    rollout.write(codex_home)
    cache = CodexCache()
    assert list_codex_rows([codex_home], cache=cache).rows[0]["message_count"] == 2
    rollout.prompt("two").answer("b").write(codex_home)
    row = list_codex_rows([codex_home], cache=cache).rows[0]
    assert (row["message_count"], row["user_message_count"]) == (4, 2)


def test_max_files_keeps_the_most_recently_modified(codex_home: Path) -> None:
    import os

    for number in range(5):
        thread = f"0199cccc-0000-7000-8000-00000000010{number}"
        path = Rollout(thread).prompt(f"p{number}").answer("ok").write(codex_home)
        os.utime(path, (1_700_000_000 + number, 1_700_000_000 + number))
    rows = list_codex_rows([codex_home], settings=CodexSettings(max_files=2)).rows
    assert sorted(row["title"] for row in rows) == ["p3", "p4"]


def _padded(rollout: Rollout, turns: int) -> Rollout:
    for number in range(turns):
        rollout.call(f"p{number}", "cat big", "x" * 8000)
    return rollout


def test_window_rows_of_subagents_and_forks_link_like_parsed_ones(codex_home: Path) -> None:
    """Large files summarised from windows still know their thread: a sub-agent is linked,
    a fork names its source, the first prompt after a 100 KB instruction block is found."""
    parent = "0199cccc-0000-7000-8000-0000000000a1"
    child = "0199cccc-0000-7000-8000-0000000000c1"
    fork = "0199cccc-0000-7000-8000-0000000000f1"
    _padded(Rollout(parent).context().prompt("parent"), 60).answer("ok").write(codex_home)
    _padded(Rollout(child, source={"subagent": {"thread_spawn": {"parent_thread_id": parent}}},
                    agent_nickname="Ada").prompt("child"), 60).write(codex_home)
    late = Rollout(fork, forked_from_id=parent).context()
    late.add("response_item", {"type": "message", "role": "developer",
                               "content": [{"type": "input_text", "text": "y" * 100_000}]})
    _padded(late.prompt("late prompt"), 60).write(codex_home)
    settings = CodexSettings(count_scan_bytes=1)
    rows = {row.session_id: row.to_dict()
            for row in list_codex_rows([codex_home], settings=settings).rows}
    assert set(rows) == {f"codex_{parent}", f"codex_{fork}"}
    assert all(row["stats_estimated"] for row in rows.values())
    assert rows[f"codex_{parent}"]["subagents"][0]["agent_nickname"] == "Ada"
    assert rows[f"codex_{fork}"]["parent_session_id"] == f"codex_{parent}"
    assert rows[f"codex_{fork}"]["title"] == "late prompt"


def test_window_rows_find_tokens_before_a_long_last_turn(codex_home: Path) -> None:
    """The last token_count may sit before a long last turn: one window further back."""
    rollout = Rollout(THREAD).context().prompt("go").tokens((900, 0, 10, 0), (900, 0, 10, 0))
    _padded(rollout, 30).tokens((5000, 1000, 70, 5), (4100, 1000, 60, 5))
    _padded(rollout, 10).write(codex_home)
    row = list_codex_rows([codex_home], settings=CodexSettings(count_scan_bytes=1)).rows[0]
    assert row["stats_estimated"] and row["model"] == "gpt-5.5"
    assert (row["input_tokens"], row["cache_read_input_tokens"], row["output_tokens"]) == (
        4000, 1000, 70)
