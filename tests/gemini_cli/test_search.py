"""Search over the local index: what was rewound is not found, a chat Gemini migrated from
.json to .jsonl is found once, changed chats are re-indexed, a corrupt index is rebuilt."""

from __future__ import annotations

from hermes_sessions_gemini_cli.search import hermes_sessions_search

from hermes_sessions_core.search import parse_query

from .conftest import gemini, user

SESSION = "99999999-2222-4333-8444-555555555555"
ID = f"gemini_cli_{SESSION}"


def _hits(context, text):
    results = hermes_sessions_search(context, parse_query(text, include_archived=True, per_session=10))
    assert results is not None
    return [(hit.session_id, hit.match_type, hit.position) for hit in results.hits], results


def test_rewound_words_are_not_found(gemini_home, context_for):
    """Search indexes the chat as replayed: rewound words are not found, kept ones are."""
    gemini_home.jsonl(SESSION, [user("u1", "keep tangerine"), gemini("g1", "ok"),
                                user("u2", "undo kumquat"), {"$rewindTo": "u2"}])
    context = context_for(gemini_home.home)
    assert _hits(context, "kumquat")[0] == []
    assert _hits(context, "tangerine")[0] == [(ID, "title", None), (ID, "content", 0)]


def test_migrated_chat_is_found_once_in_the_newer_file(gemini_home, context_for):
    """Two files with one sessionId: hits name the row once, at positions of the newer file."""
    gemini_home.json(SESSION, [user("u1", "walrus question")])
    gemini_home.jsonl(SESSION, [user("u1", "walrus question"),
                                gemini("g1", "walrus answer", at="2026-02-02T10:00:00.000Z")],
                      lastUpdated="2026-02-02T10:00:00.000Z")
    found, _ = _hits(context_for(gemini_home.home), "walrus answer")
    assert found == [(ID, "content", 1)]


def test_changed_chat_is_indexed_again(gemini_home, context_for):
    """A chat that grew is re-indexed on the next search."""
    path = gemini_home.jsonl(SESSION, [user("u1", "first words")])
    context = context_for(gemini_home.home)
    assert _hits(context, "pelican")[0] == []
    with path.open("ab") as handle:
        handle.write(b'{"id":"g1","timestamp":"2026-02-01T10:00:09.000Z","type":"gemini",'
                     b'"content":"a pelican appears"}\n')
    assert _hits(context, "pelican")[0] == [(ID, "content", 1)]


def test_corrupt_index_is_rebuilt_and_said(gemini_home, context_for, tmp_path):
    """A corrupt index is rebuilt and the search reports it, still answering."""
    gemini_home.jsonl(SESSION, [user("u1", "ocelot")])
    index = tmp_path / "index.sqlite"
    context = context_for(gemini_home.home, search_index_path=str(index))
    _hits(context, "ocelot")
    index.write_bytes(b"not a database at all" * 100)
    found, results = _hits(context, "ocelot")
    assert found and [p.error_type for p in results.problems] == ["SearchIndexRebuilt"]
