"""Contracts of a source that implements ``hermes_sessions_search`` (S6.13, S9.5).

Subclass :class:`SearchContract` in a ``Test…`` class and provide ``plugin``, ``seed`` (as for
:class:`~hermes_sessions_core.testing.ReadableSourceContract`) and ``search_examples``: a few
``(query, session id, match type)`` your seeded data must answer, at least one a title.
Every hit the examples bring is then checked against the rules in docs/search.md ("Scores and
ranking"): typed, for listed sessions only, on the score scale, opening at its position, with
highlights inside a non-empty snippet, and cut so that top-N is a prefix of top-(N+k).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import pytest

from ..errors import SessionNotFound
from ..models import Problem, SessionRow
from ..search import (
    MATCH_CONTENT,
    MATCH_TITLE,
    SearchHit,
    SearchQuery,
    SearchResults,
    matches_text,
    parse_query,
    tool_call_text,
)
from .errors import abstract_fixture
from .fixtures import SourceFixtures
from .harness import SourceHarness

__all__ = ["SearchContract", "SearchExample", "HOSTILE_QUERIES"]

#: ``(query text, session id the search must find, "title" or "content")``.
SearchExample = tuple[str, str, str]
#: FTS5 syntax a user may type; it must be searched as text, never raise.
HOSTILE_QUERIES: tuple[str, ...] = (
    'word"', "NEAR(word", "word AND (", "col:word", "^word", "-word", "word OR", "wo*rd*",
)
_CONTRACT = "SearchContract"


def _identity(hit: SearchHit) -> tuple[str, str, int | None]:
    return (hit.session_id, hit.match_type, hit.position)


def _all_text(message: Mapping[str, Any]) -> str:
    """Every string of a message (content, parts, tool calls and results), for checking that a
    hit's position points at a message that holds the match."""
    return tool_call_text(dict(message))


class SearchContract(SourceFixtures):
    """A searching source: answers typed, finds its titles and messages, names only sessions it
    lists, scores on the documented scale, and ranks in one total order."""

    #: Set False if your source has no titles to search (say why in your docs).
    searches_titles: bool = True
    #: Limits the prefix rule is checked at.
    prefix_limits: tuple[int, ...] = (1, 2, 3, 5, 8)

    # ── fixtures a backend provides ──────────────────────────────────────────────────────

    @pytest.fixture
    def plugin(self) -> object:
        abstract_fixture(
            _CONTRACT, "plugin",
            "return the object that holds your @hookimpl functions, search included.",
        )

    @pytest.fixture
    def seed(self) -> Iterable[str]:
        abstract_fixture(
            _CONTRACT, "seed",
            "write sample sessions where your source reads them, in the real on-disk format, "
            "and return the ids the listing must show (the same fixture as "
            "ReadableSourceContract's).",
        )

    @pytest.fixture
    def search_examples(self) -> Sequence[SearchExample]:
        abstract_fixture(
            _CONTRACT, "search_examples",
            "return a few (query, session id, 'title' or 'content') your seeded data must "
            "answer: the id is the one your listing shows, and at least one example is a "
            "title match (a word or two of a session's title).",
        )

    @pytest.fixture
    def listed(self, harness: SourceHarness, seed: Iterable[str]) -> dict[str, SessionRow]:
        """Every row the source lists after ``seed``, asked with a generous limit."""
        list(seed or ())
        listing = harness.call_list_rows(limit=100_000)
        rows = {row.session_id: row for row in listing.rows} if listing is not None else {}
        assert rows, f"{harness.info.name}: the listing after `seed` is empty"
        return rows

    @pytest.fixture
    def answers(
        self, harness: SourceHarness, listed: dict[str, SessionRow],
        search_examples: Sequence[SearchExample],
    ) -> dict[str, SearchResults]:
        """The direct answer of the search hook to each example query (every profile)."""
        assert harness.implements("hermes_sessions_search"), (
            f"{harness.info.name} does not implement hermes_sessions_search; use "
            "ReadableSourceContract alone"
        )
        assert search_examples, "search_examples must hold at least one example"
        return {text: self.search(harness, text) for text, _, _ in search_examples}

    # ── calling the hook ─────────────────────────────────────────────────────────────────

    @staticmethod
    def query(text: str, **options: Any) -> SearchQuery:
        options.setdefault("include_archived", True)
        return parse_query(text, **options)

    def search(self, harness: SourceHarness, text: str, **options: Any) -> SearchResults:
        answer = harness.manager.hook.hermes_sessions_search(
            context=harness.context(), query=self.query(text, **options)
        )
        assert len(answer) == 1, f"one source gave {len(answer)} answers"
        result = answer[0]
        assert isinstance(result, SearchResults), (
            f"{harness.info.name}: hermes_sessions_search returned {type(result).__name__}, "
            "expected SearchResults (or None when the source cannot search at all)"
        )
        return result

    # ── the rules ────────────────────────────────────────────────────────────────────────

    def test_answers_are_typed(
        self, harness: SourceHarness, answers: dict[str, SearchResults]
    ) -> None:
        """Results are SearchResults of SearchHit records named for this source; problems are
        Problem records (good data has none)."""
        for text, result in answers.items():
            assert result.sources == (harness.info.name,), (
                f"{text!r}: SearchResults.sources is {result.sources}; name your source"
            )
            assert [p.describe() for p in result.problems if not isinstance(p, Problem)] == []
            for hit in result.hits:
                assert isinstance(hit, SearchHit), f"{text!r}: {hit!r} is not a SearchHit"
                assert hit.source == harness.info.name, f"{text!r}: hit.source {hit.source!r}"
                assert hit.match_type in (MATCH_TITLE, MATCH_CONTENT), hit.match_type

    def test_examples_are_found(
        self, answers: dict[str, SearchResults], search_examples: Sequence[SearchExample]
    ) -> None:
        """Each example's session is found with its match type: titles and messages are
        both searched (docs/search.md)."""
        kinds = {kind for _, _, kind in search_examples}
        if self.searches_titles:
            assert MATCH_TITLE in kinds, (
                "add a title example to search_examples (or set searches_titles = False)"
            )
        for text, session_id, kind in search_examples:
            found = [(h.session_id, h.match_type) for h in answers[text].hits]
            assert (session_id, kind) in found, (
                f"searching {text!r} must find {session_id!r} as a {kind} match; got {found}"
            )

    def test_hits_name_sessions_the_source_lists(
        self, harness: SourceHarness, answers: dict[str, SearchResults],
        listed: dict[str, SessionRow],
    ) -> None:
        """A hit names the row the sidebar shows (for a stitched chain, its tip), never a
        session the listing leaves out or folds into another row."""
        for text, result in answers.items():
            for hit in result.hits:
                assert hit.session_id in listed, (
                    f"{text!r}: hit {hit.session_id!r} is not a listed session of "
                    f"{harness.info.name}; name the row the listing shows"
                )

    def test_scores_are_on_the_documented_scale(self, answers: dict[str, SearchResults]) -> None:
        """Scores are finite, from 0 to 1, higher is better (docs/search.md, "Scores and
        ranking"); title hits have no position."""
        for text, result in answers.items():
            for hit in result.hits:
                assert isinstance(hit.score, float) and math.isfinite(hit.score), hit
                assert 0.0 <= hit.score <= 1.0, (
                    f"{text!r}: score {hit.score} of {hit.session_id!r} is off the 0..1 scale; "
                    "use title_score() and relevance_score() from hermes_sessions_core.search"
                )
                if hit.match_type == MATCH_TITLE:
                    assert hit.position is None, (
                        f"{text!r}: a title hit has position {hit.position}"
                    )

    def test_snippets_show_the_match(self, answers: dict[str, SearchResults]) -> None:
        """Every hit has a snippet (a match inside tool calls too), and its highlights are
        sorted, non-overlapping ranges inside it."""
        for text, result in answers.items():
            for hit in result.hits:
                assert hit.snippet.strip(), f"{text!r}: {hit.session_id!r} has a blank snippet"
                end = 0
                for start, finish in hit.highlights:
                    assert end <= start < finish <= len(hit.snippet), (
                        f"{text!r}: highlight {(start, finish)} is outside or overlaps in "
                        f"snippet {hit.snippet!r}"
                    )
                    end = finish

    def test_hits_open_at_their_position(
        self, harness: SourceHarness, answers: dict[str, SearchResults]
    ) -> None:
        """A hit's id opens through the store (load or read_messages), and a content hit's
        position is inside that transcript, at a message holding the match."""
        store = harness.store()
        for text, result in answers.items():
            query = self.query(text)
            for hit in result.hits:
                try:
                    messages = list(store.get(hit.session_id).messages)
                except SessionNotFound:
                    transcript = store.read_messages(hit.session_id)
                    assert transcript is not None, (
                        f"{text!r}: hit {hit.session_id!r} opens neither with load_session "
                        "nor read_messages"
                    )
                    messages = list(transcript.messages)
                if hit.position is None:
                    continue
                assert 0 <= hit.position < len(messages), (
                    f"{text!r}: position {hit.position} is outside the {len(messages)} messages "
                    f"of {hit.session_id!r}"
                )
                message = messages[hit.position]
                assert matches_text(_all_text(message), query), (
                    f"{text!r}: message {hit.position} of {hit.session_id!r} does not hold the "
                    f"match: {message!r:.300}"
                )

    @pytest.mark.parametrize("per_session", [1, 2])
    def test_top_n_is_a_prefix_of_top_n_plus_k(
        self, harness: SourceHarness, answers: dict[str, SearchResults], per_session: int
    ) -> None:
        """Ranking is a total order: the first N hits of any longer answer are exactly the
        answer for N (no per-source cut before ranking, no collapsing after cutting)."""
        for text in answers:
            full = self.search(harness, text, limit=50, per_session=per_session).hits
            for limit in self.prefix_limits:
                short = self.search(harness, text, limit=limit, per_session=per_session).hits
                assert len(short) <= limit, f"{text!r}: limit {limit} gave {len(short)} hits"
                assert [_identity(h) for h in short] == [_identity(h) for h in full[:limit]], (
                    f"{text!r}: top {limit} is not the start of top 50 (per_session "
                    f"{per_session})"
                )

    def test_filters_are_honoured(
        self, harness: SourceHarness, answers: dict[str, SearchResults]
    ) -> None:
        """A time range in the future finds nothing; ``per_session`` caps hits per session."""
        for text in answers:
            assert self.search(harness, text, since=4_000_000_000.0).hits == ()
            sessions = [h.session_id for h in self.search(harness, text, per_session=1).hits]
            assert len(sessions) == len(set(sessions)), f"{text!r}: per_session=1 broken"

    @pytest.mark.parametrize("text", HOSTILE_QUERIES)
    def test_query_syntax_is_searched_as_text(
        self, harness: SourceHarness, listed: dict[str, SessionRow], text: str
    ) -> None:
        """FTS operators a user types never reach SQLite as syntax: no exception, and no
        problem record blaming the query."""
        result = self.search(harness, text)
        blamed = [
            p for p in result.problems
            if p.error_type == "OperationalError" or "syntax" in p.message.lower()
        ]
        assert not blamed, (
            f"{text!r} reached the index as syntax; build MATCH with query.fts5_expression()"
        )
