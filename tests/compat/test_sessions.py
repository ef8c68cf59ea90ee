"""Web UI sessions through compat, compared with rows written out by hand from S1, S2 and S6."""

from __future__ import annotations

import json

import pytest

from hermes_sessions_core import compat
from hermes_sessions_core.errors import InvalidSessionId, SessionUnreadable

from .conftest import HermesHome

#: all_sessions() for the home in conftest, by the rules: Web UI rows of every profile, pinned
#: first, then last_message_at descending; the draft (ddd) and the cron copy hidden; archived
#: kept (the original did not filter it); a row without a profile reports "default".
EXPECTED_ALL = [
    # session_id,              title,              profile,   pinned, archived, count, last
    ("aaa111aaa111", "Pinned plan", "default", True, False, 2, 1795000100),
    ("bbb222bbb222", "Work notes", "work", False, False, 1, 1795000500),
    ("eee555-with-dash", "Dash id", "default", False, False, 1, 1795000300),
    ("20261123_212025_78dade", "Renamed payments", "default", False, False, 1, 1795000200),
    ("ccc333ccc333", "Old chat", "default", False, True, 2, 1794000000),
]


def test_all_sessions_matches_the_hand_written_rows(home: HermesHome) -> None:
    """S6.5-S6.7, S2.35: order, hidden drafts and cron, default profile, counts, times."""
    rows = compat.all_sessions()
    got = [(r["session_id"], r["title"], r["profile"], r["pinned"], r["archived"],
            r["message_count"], r["last_message_at"]) for r in rows]
    assert got == EXPECTED_ALL
    by_id = {r["session_id"]: r for r in rows}
    assert by_id["aaa111aaa111"]["user_message_count"] == 1
    assert by_id["bbb222bbb222"]["project_id"] == "p1legacy0001"
    assert all(r["is_streaming"] is False for r in rows)
    assert "parent_session_id" not in by_id["aaa111aaa111"]  # never null (#1342)
    # the chain head is a head: lineage gives it nothing (S3.19)
    assert "_lineage_root_id" not in by_id["20261123_212025_78dade"]


def test_all_sessions_is_not_cut_and_ignores_the_active_profile(home: HermesHome) -> None:
    """The original returned every profile's Web UI rows and let the client filter."""
    compat.configure(active_profile=lambda: "work")
    assert [r["session_id"] for r in compat.all_sessions()] == [e[0] for e in EXPECTED_ALL]


def test_all_sessions_marks_live_streams_from_the_host(home: HermesHome) -> None:
    """S1.16: is_streaming comes from the host's live-stream registry."""
    session = compat.get_session("eee555-with-dash")
    session.active_stream_id = "stream-1"
    session.save(touch_updated_at=False)
    compat.configure(live_stream_ids=lambda: {"stream-1"})
    row = next(r for r in compat.all_sessions() if r["session_id"] == "eee555-with-dash")
    assert row["is_streaming"] is True


def test_get_session_caches_full_objects_and_raises_keyerror(home: HermesHome) -> None:
    """S2.14, S2.34: the same object comes back; unknown and malformed ids raise KeyError."""
    first = compat.get_session("aaa111aaa111")
    assert isinstance(first, compat.Session)
    assert compat.get_session("aaa111aaa111") is first
    assert first.title == "Pinned plan" and len(first.messages) == 2
    for missing in ("nope00000000", "../etc/passwd", "", "_index"):
        with pytest.raises(KeyError):
            compat.get_session(missing)


def test_agent_and_claude_ids_are_not_webui_sessions(home: HermesHome) -> None:
    """As the original: get_session finds Web UI files only; other ids raise KeyError."""
    with pytest.raises(KeyError):
        compat.get_session("20261123_212026_e3f24c")
    assert compat.Session.load("20261123_212026_e3f24c") is None


def test_metadata_only_reads_recorded_counts_and_cannot_be_saved(home: HermesHome) -> None:
    """S2.11, S2.15, S8.17: metadata-only objects report counts and refuse to save."""
    legacy = compat.get_session("aaa111aaa111", metadata_only=True)
    assert legacy.compact()["message_count"] == 2  # no recorded count: read in full (S2.13)
    full = compat.get_session("aaa111aaa111")
    full.save(touch_updated_at=False)  # now the file records message_count (S1.6)
    compat.reset()
    partial = compat.Session.load_metadata_only("aaa111aaa111")
    assert partial is not None and partial.messages == []
    row = partial.compact()
    assert row["message_count"] == 2 and row["title"] == "Pinned plan"
    with pytest.raises(RuntimeError, match="Reload it in full"):
        partial.save()
    assert len(compat.Session.load("aaa111aaa111").messages) == 2


def test_corrupt_file_is_tolerated_in_lists_and_named_when_opened(home: HermesHome) -> None:
    """S2.34, S8.18: listing skips it; opening raises a typed error naming the file."""
    assert "fff666fff666" not in [r["session_id"] for r in compat.all_sessions()]
    with pytest.raises(SessionUnreadable, match="fff666fff666"):
        compat.get_session("fff666fff666")
    assert (home.sessions / "fff666fff666.json").read_text() == "{not json"


def test_new_session_writes_nothing_until_saved(home: HermesHome) -> None:
    """S2.28, S2.31: no file until the first save; profile from the host; model default."""
    compat.configure(active_profile=lambda: "work", default_model=lambda: {"model": {"default": "m1"}})
    before = sorted(p.name for p in home.sessions.iterdir())
    session = compat.new_session()
    assert sorted(p.name for p in home.sessions.iterdir()) == before
    assert session.profile == "work" and session.model == "m1"
    assert session.workspace == str(home.workspace)
    assert compat.get_session(session.session_id) is session
    session.messages.append({"role": "user", "content": "hello", "timestamp": 1795001000})
    session.title = compat.title_from(session.messages)
    session.save()
    stored = json.loads(session.path.read_text(encoding="utf-8"))
    assert stored["title"] == "hello" and stored["profile"] == "work"
    assert list(stored)[:3] == ["session_id", "title", "workspace"]


def test_new_session_with_a_traversing_profile_is_tolerated_as_default(
    home: HermesHome, caplog: pytest.LogCaptureFixture
) -> None:
    """S7.2, S7.3: as the host's own profile helpers do, a traversing name from a request is
    never a path nor stored: the session belongs to default, and the log names the culprit."""
    session = compat.new_session(profile="../../etc")
    assert session.profile == "default"
    assert "'../../etc'" in caplog.text
    session.messages.append({"role": "user", "content": "hi", "timestamp": 1795001000})
    session.save()
    assert not list(home.base.parent.rglob("*etc*"))


def test_session_constructed_by_hand_saves_and_keeps_unknown_fields(home: HermesHome) -> None:
    """S1.7, S8.6: a field without a named parameter survives save and load."""
    session = compat.Session(session_id="ggg777ggg777", title="By hand", user_id="u-1",
                             messages=[{"role": "user", "content": "x", "timestamp": 1}])
    session.save(touch_updated_at=False)
    loaded = compat.Session.load("ggg777ggg777")
    assert loaded is not None and loaded.user_id == "u-1" and loaded.title == "By hand"
    assert loaded.workspace == str(home.workspace)  # never the process cwd (S8.7)


def test_write_apis_reject_bad_ids(home: HermesHome) -> None:
    """S1.3: every write names the bad id; nothing is written."""
    for bad in ("../x", "UPPER", "_index", "a/b"):
        with pytest.raises(InvalidSessionId, match="invalid session id"):
            compat.Session(session_id=bad, title="x").save()
        with pytest.raises(InvalidSessionId):
            compat.import_cli_session(bad, "t", [])
        with pytest.raises(InvalidSessionId):
            compat.delete_cli_session(bad)
    assert not list(home.base.rglob("*UPPER*"))


def test_lazy_module_paths_follow_the_environment(home: HermesHome) -> None:
    assert compat.SESSION_DIR == home.sessions
    assert compat.SESSION_INDEX_FILE == home.sessions / "_index.json"
    assert compat.PROJECTS_FILE == home.projects
