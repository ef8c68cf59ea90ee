"""The source through the core: plugin manager, dispatcher and the S4.20 rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hermes_sessions_claude_code import claude_code_session_id, clear_default_cache, import_view

from hermes_sessions_core.dispatch import Dispatcher
from hermes_sessions_core.errors import PartialSessionSaveError, SessionNotFound
from hermes_sessions_core.hookspecs import ListRequest, SourceContext
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager

from .conftest import COMPACTION, SHORT


@pytest.fixture
def dispatcher() -> Dispatcher:
    clear_default_cache()
    return Dispatcher(make_plugin_manager(builtins=["claude_code"], entry_points=False))


def _context(tmp_path: Path, projects: Path, **settings) -> SourceContext:
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui", claude_projects_dir=projects
    )
    return SourceContext(locations, settings={"claude_code": settings})


def test_source_info(dispatcher: Dispatcher) -> None:
    """S4.7, S1.17: registered as read-only, owning claude_code_ ids."""
    info = dispatcher.sources["claude_code"].info
    assert (info.label, info.writable, info.id_prefixes, info.priority) == (
        "Claude Code", False, ("claude_code_",), 60
    )


def test_listing_through_the_dispatcher(dispatcher: Dispatcher, projects: Path, tmp_path: Path) -> None:
    """S6.1, S4.15: rows come through the core with the store's settings applied."""
    context = _context(tmp_path, projects, max_files=3)
    (listing,) = dispatcher.list_rows(context, ListRequest(profile="work"), lambda name: True)
    assert listing.source == "claude_code" and len(listing.rows) == 3
    assert all(row["profile"] is None for row in listing.rows)
    (full,) = dispatcher.list_rows(_context(tmp_path, projects), ListRequest(profile="default", limit=2), lambda n: True)
    assert len(full.rows) == 2


def test_load_session_full_is_read_only(dispatcher: Dispatcher, projects: Path, tmp_path: Path) -> None:
    """S1.17, S4.8: a loaded session has the messages, the source fields and cannot be saved."""
    context = _context(tmp_path, projects)
    sid = claude_code_session_id(projects / SHORT)
    session, source = dispatcher.load_session(context, sid, metadata_only=False)
    assert source.name == "claude_code"
    assert session.read_only is True and session.is_cli_session is True
    assert session.workspace == "/home/marco/projects/spotter"
    assert session.source_tag == "claude_code" and session.external_session_id.startswith("55604662")
    assert len(session.messages) == 5 and session.title == "mix phx.server doesnt seem to start"


def test_load_session_metadata_only_is_partial(dispatcher: Dispatcher, projects: Path, tmp_path: Path) -> None:
    """S1.15, S2.15: a metadata-only load reports the recorded counts and refuses saving."""
    context = _context(tmp_path, projects)
    sid = claude_code_session_id(projects / COMPACTION)
    session, _ = dispatcher.load_session(context, sid, metadata_only=True)
    assert session.is_partial and session.messages == []
    row = session.compact()
    assert row["message_count"] > 0 and row["user_message_count"] > 0
    with pytest.raises(PartialSessionSaveError):
        session.save()


def test_read_messages_through_the_dispatcher(dispatcher: Dispatcher, projects: Path, tmp_path: Path) -> None:
    """S4.17: the limit keeps the most recent messages, total_count counts all."""
    context = _context(tmp_path, projects)
    transcript = dispatcher.read_messages(context, claude_code_session_id(projects / COMPACTION), limit=5)
    assert transcript is not None and transcript.total_count == 122 and len(transcript.messages) == 6


def test_unknown_or_gone_ids_are_not_found(dispatcher: Dispatcher, projects: Path, tmp_path: Path) -> None:
    """S4.20: a foreign id or a deleted file is "not found"; its transcript is empty."""
    context = _context(tmp_path, projects)
    sid = claude_code_session_id(projects / SHORT)
    (projects / SHORT).unlink()
    with pytest.raises(SessionNotFound):
        dispatcher.load_session(context, sid, metadata_only=False)
    assert dispatcher.read_messages(context, sid) is None
    assert dispatcher.read_messages(context, "claude_code_" + "0" * 24) is None
    with pytest.raises(SessionNotFound):
        dispatcher.load_session(context, "claude_code_nothex", metadata_only=True)
    assert dispatcher.problems == []


def test_import_returns_a_view_and_stores_nothing(projects: Path, tmp_path: Path) -> None:
    """S4.20: import gives imported False, read_only True, source fields and messages."""
    before = sorted(p.name for p in tmp_path.rglob("*"))
    view = import_view(claude_code_session_id(projects / SHORT), [projects])
    assert view is not None
    assert view["imported"] is False and view["read_only"] is True
    assert view["source_tag"] == "claude_code" and len(view["messages"]) == 5
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert import_view("json_abc", [projects]) is None


def test_tests_never_read_the_real_claude_folder(dispatcher: Dispatcher, isolated_environment: Path, tmp_path: Path) -> None:
    """S4.1: the default root is the (private) HOME's ~/.claude/projects, absent here."""
    locations = Locations.from_environment(base_home=tmp_path / "h", state_dir=tmp_path / "w")
    assert str(locations.claude_projects_roots()[0]).startswith(str(isolated_environment))
    (listing,) = dispatcher.list_rows(SourceContext(locations), ListRequest(profile="default"), lambda n: True) or (None,)
    assert listing is None or listing.rows == ()
