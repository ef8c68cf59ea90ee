"""The search contract fails a source that breaks it, and passes a small correct one. Runs a
throwaway test file in a separate pytest process, as a plugin author's repository would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SOURCES = '''
import pytest
from hermes_sessions_core import Session, SessionRow, SourceInfo, SourceListing, hookimpl
from hermes_sessions_core.search import (
    MATCH_CONTENT, MATCH_TITLE, SearchHit, SearchResults, limit_results, make_snippet,
    matches_text, title_score,
)
from hermes_sessions_core.testing import SearchContract

TITLES = {"toy_1": "Deploy notes", "toy_2": "Deploy plan", "toy_3": "Lunch"}
MESSAGES = {
    sid: [{"role": "user", "content": f"deploy the {sid} service", "timestamp": 1700000000.0 + n},
          {"role": "assistant", "content": "done", "timestamp": 1700000001.0 + n}]
    for n, sid in enumerate(TITLES)
}


class Toy:
    """A correct little source: hits from its own two lists, ranked by the core's helpers."""

    @hookimpl
    def hermes_sessions_source_info(self):
        return SourceInfo(name="toy", label="Toy", writable=False, id_prefixes=("toy_",))

    @hookimpl
    def hermes_sessions_list_rows(self, request):
        return SourceListing("toy", tuple(SessionRow.adopt({
            "session_id": sid, "title": title, "message_count": 2, "created_at": 1700000000.0,
            "updated_at": 1700000002.0, "profile": "default",
        }) for sid, title in TITLES.items()))

    @hookimpl
    def hermes_sessions_load_session(self, session_id, metadata_only):
        if session_id not in TITLES:
            return None
        session = Session(session_id=session_id, title=TITLES[session_id],
                          messages=[] if metadata_only else [dict(m) for m in MESSAGES[session_id]])
        if metadata_only:
            session.mark_partial(2)
        return session

    def hits(self, query):
        for sid, title in TITLES.items():
            if matches_text(title, query) and query.accepts_time(1700000002.0):
                snippet, ranges = make_snippet(title, query)
                yield SearchHit(sid, "toy", snippet, title_score(title, query), MATCH_TITLE,
                                None, title, None, 1700000002.0, "default", ranges)
            for position, message in enumerate(MESSAGES[sid]):
                stamp = message["timestamp"]
                if matches_text(message["content"], query) and query.accepts_time(stamp):
                    snippet, ranges = make_snippet(message["content"], query)
                    yield SearchHit(sid, "toy", snippet, 0.5, MATCH_CONTENT, position, title,
                                    message["role"], message["timestamp"], "default", ranges)

    @hookimpl
    def hermes_sessions_search(self, query):
        return limit_results(query, self.hits(query), (), "toy")


class Broken(Toy):
    """Off-scale scores, blank snippets, a stray session, a position past the end, no titles,
    no time filter, and a cut that depends on the limit."""

    @hookimpl
    def hermes_sessions_search(self, query):
        hits = [
            SearchHit("toy_1", "toy", "", 7.5, MATCH_CONTENT, 9, "Deploy notes", "user",
                      1700000000.0, "default", ((0, 40),)),
            SearchHit("toy_9", "toy", "deploy", 0.5, MATCH_CONTENT, 0, None, "user",
                      1700000000.0, "default", ((0, 6),)),
            SearchHit("toy_2", "toy", "deploy the toy_2 service", 0.5, MATCH_CONTENT, 0,
                      "Deploy plan", "user", 1700000001.0, "default", ((0, 6),)),
        ]
        if query.limit < 3:
            hits.reverse()
        return SearchResults(tuple(hits[: query.limit]), (), ("toy",))


class TestToy(SearchContract):
    @pytest.fixture
    def plugin(self):
        return Toy()

    @pytest.fixture
    def seed(self):
        return list(TITLES)

    @pytest.fixture
    def search_examples(self):
        return [("deploy notes", "toy_1", "title"), ("service", "toy_3", "content")]


class TestBroken(TestToy):
    @pytest.fixture
    def plugin(self):
        return Broken()

    @pytest.fixture
    def search_examples(self):
        return [("deploy", "toy_1", "title")]


class TestForgetful(SearchContract):
    @pytest.fixture
    def plugin(self):
        return Toy()

    @pytest.fixture
    def seed(self):
        return list(TITLES)
'''


def test_the_search_contract_fails_a_broken_source_and_passes_a_good_one(tmp_path: Path) -> None:
    """Each broken rule fails its own contract test; the correct toy source passes them all;
    a subclass without search_examples is told what to provide."""
    (tmp_path / "test_toy_search.py").write_text(textwrap.dedent(SOURCES))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_toy_search.py", "-q", "-rfE",
         "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-o", "addopts="],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    out = result.stdout
    assert result.returncode == 1, out
    for contract in (
        "test_examples_are_found",
        "test_hits_name_sessions_the_source_lists",
        "test_scores_are_on_the_documented_scale",
        "test_snippets_show_the_match",
        "test_hits_open_at_their_position",
        "test_top_n_is_a_prefix_of_top_n_plus_k[1]",
        "test_filters_are_honoured",
    ):
        assert f"FAILED test_toy_search.py::TestBroken::{contract}" in out, contract
    assert "FAILED test_toy_search.py::TestToy::" not in out, out
    assert "ERROR test_toy_search.py::TestToy::" not in out, out
    assert "test_toy_search.py::TestForgetful::test_answers_are_typed" in out
    assert "MissingContractFixture" in out and "search_examples" in out
