"""The query parser, escaper, snippets and cross-source merge (hermes_sessions_core.search)."""

from __future__ import annotations

import sqlite3

import pytest

from hermes_sessions_core.models import Problem
from hermes_sessions_core.search import (
    MAX_QUERY_LENGTH,
    InvalidSearchQuery,
    SearchHit,
    SearchResults,
    make_snippet,
    matches_text,
    merge_results,
    message_text,
    parse_query,
    segment_for_index,
)

NASTY = [
    'AND OR NOT', "NEAR(foo bar)", "foo) OR (bar", "((((", "col:value", "^start", "-minus +plus",
    '"unbalanced quote', 'a "b" "', 'say ""hi""', "foo*bar*", "* * *", "x' OR 1=1 --",
    "\\\\ \\\" \\'", "🎉 party", "数据库", "Привет мир", "مرحبا", "नमस्ते दुनिया", "tab\there",
    "null\x00byte", "a" * 400, "{}[]<>|&;", "😀" * 10 + " ok",
]


def _fts_table() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61 remove_diacritics 2')")
    connection.executemany(
        "INSERT INTO t(body) VALUES (?)",
        [(segment_for_index(text),) for text in ("foo bar baz", "数据库 连接", "Привет мир", "party time")],
    )
    return connection


@pytest.mark.parametrize("text", NASTY)
def test_hostile_queries_never_reach_sqlite_as_syntax(text: str) -> None:
    """Bad input: FTS syntax, quotes, brackets, other scripts are searched as text, never an SQL error."""
    connection = _fts_table()
    try:
        query = parse_query(text)
    except InvalidSearchQuery as error:
        assert str(error)  # refused with a message, which is allowed
        return
    connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (query.fts5_expression(),)).fetchall()


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "🎉", "((( )))", '""', "* -- ^"])
def test_queries_without_letters_are_refused_clearly(text: str) -> None:
    """Empty and symbol-only queries raise InvalidSearchQuery saying what is missing."""
    with pytest.raises(InvalidSearchQuery, match="empty|letter or digit"):
        parse_query(text)


def test_very_long_queries_are_refused_with_the_limit() -> None:
    """A query over MAX_QUERY_LENGTH characters is refused and the message names the limit."""
    with pytest.raises(InvalidSearchQuery, match=str(MAX_QUERY_LENGTH)):
        parse_query("word " * 400)
    with pytest.raises(InvalidSearchQuery, match="terms"):
        parse_query(" ".join(f"w{i}" for i in range(40)))


def test_terms_phrases_and_prefixes_are_recognised() -> None:
    """Quotes make phrases (an unclosed one runs to the end), a trailing * a prefix."""
    query = parse_query('deploy "exact phrase" kube* "open ended')
    assert query.words == ("deploy",)
    assert query.phrases == ("exact phrase", "open ended")
    assert query.prefixes == ("kube",)
    assert query.fts5_expression() == '"exact phrase" AND "open ended" AND "deploy" AND "kube"*'


def test_one_letter_prefix_becomes_a_word_and_quotes_are_doubled() -> None:
    """A one-letter prefix would match half the index: it is searched as a word."""
    assert parse_query("a*").words == ("a",)
    assert parse_query('it"s').fts5_expression().count('"') % 2 == 0


def test_fts_expression_finds_what_the_words_say() -> None:
    """Escaping keeps meaning: operators are words, CJK words match inside unsegmented text."""
    connection = _fts_table()

    def found(text: str) -> list[int]:
        expression = parse_query(text).fts5_expression()
        return [r[0] for r in connection.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))]

    assert found("foo baz") == [1]
    assert found('"bar baz"') == [1]
    assert found('"baz bar"') == []
    assert found("ba*") == [1]
    assert found("数据") == [2]
    assert found("привет") == [3]
    assert found("🎉 party") == [4]
    assert found("foo) (baz") == [1]
    assert found("NEAR(foo bar)") == []  # NEAR is a word here, and no row holds it


def test_dates_and_limits_are_checked() -> None:
    """An empty date range and a zero limit are refused before any source is asked."""
    with pytest.raises(InvalidSearchQuery, match="date range"):
        parse_query("x", since=10.0, until=5.0)
    with pytest.raises(InvalidSearchQuery, match="limit"):
        parse_query("x", limit=0)


def test_message_text_reads_strings_and_text_parts() -> None:
    """Content may be a string or a list of parts; images and odd values give no text."""
    assert message_text({"content": "hi"}) == "hi"
    assert message_text({"content": [{"type": "text", "text": "a"}, {"type": "image"}, "b"]}) == "a\nb"
    assert message_text({"content": None}) == "" and message_text("nope") == ""


def test_snippet_highlights_every_term_and_cuts_around_the_first() -> None:
    """Ranges point at the matches inside the excerpt; long text is cut with an ellipsis."""
    query = parse_query('kube* "rolling update"')
    text = "x " * 300 + "Kubernetes does a rolling   update\nof pods" + " y" * 300
    snippet, ranges = make_snippet(text, query)
    assert snippet.startswith("…") and snippet.endswith("…")
    marked = [snippet[a:b] for a, b in ranges]
    assert marked == ["Kubernetes", "rolling update"]
    assert matches_text(text, query)
    assert not matches_text("kubernetes only", query)


def _hit(session: str, score: float, source: str = "a", match: str = "content", position: int | None = 1) -> SearchHit:
    return SearchHit(session, source, "s", score, match_type=match, position=position)


def test_merge_ranks_titles_first_then_score_and_keeps_problems() -> None:
    """Across sources: title hits first, better score next, one hit per session, limit kept."""
    problem = Problem("b", "hermes_sessions_search", "OSError", "boom")
    merged = merge_results(
        [
            SearchResults((_hit("s1", 5.0), _hit("s2", 1.0, match="title", position=None)), (), ("a",)),
            SearchResults((_hit("s3", 9.0, "b"), _hit("s1", 7.0, "b", position=2)), (problem,), ("b",)),
        ],
        parse_query("x", limit=3),
    )
    assert [h.session_id for h in merged.hits] == ["s2", "s3", "s1"]
    assert merged.hits[2].position == 2
    assert merged.problems == (problem,) and merged.sources == ("a", "b")


def test_hit_marks_and_serialises() -> None:
    """marked() wraps highlights for plain-text views; to_dict() is JSON-ready."""
    hit = SearchHit("s1", "a", "one two three", 1.0, highlights=((4, 7),))
    assert hit.marked("<", ">") == "one <two> three"
    assert hit.to_dict()["highlights"] == [[4, 7]]
