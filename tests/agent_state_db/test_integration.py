"""The plugin through the core: plugin manager, dispatcher, hooks (S6.1, S6.11, S6.12)."""

from __future__ import annotations

import pytest

from hermes_sessions_core.dispatch import Dispatcher
from hermes_sessions_core.errors import PartialSessionSaveError, SessionNotFound
from hermes_sessions_core.hookspecs import ListRequest, SourceContext
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.models import Session, Transcript

from .helpers import AgentHome

TIP = "20261123_212026_5dae6d"
MIDDLE = "20261123_212025_2340b5"
HEAD = "20261123_212025_78dade"


@pytest.fixture
def dispatcher() -> Dispatcher:
    return Dispatcher(make_plugin_manager(builtins=["agent_state_db"], entry_points=False))


def _context(home: AgentHome) -> SourceContext:
    return SourceContext(locations=home.locations, settings={"agent_state_db": {"cache_ttl": 0}})


def test_source_info(dispatcher: Dispatcher) -> None:
    """The source describes itself: read-only, no prefixes, after the Web UI store."""
    source = dispatcher.sources["agent_state_db"]
    assert source.info.label == "Agent" and source.info.writable is False
    assert source.info.id_prefixes == () and source.info.priority == 50
    assert dispatcher.manager.load_problems == []


def test_list_rows_through_the_dispatcher(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """S6.1, S6.14: rows arrive as a SourceListing with no problems."""
    (listing,) = dispatcher.list_rows(_context(real_small), ListRequest(profile="default"),
                                      enabled=lambda name: True)
    assert listing.source == "agent_state_db" and listing.problems == ()
    assert TIP in {row.session_id for row in listing.rows}


def test_bad_store_is_a_problem_not_an_exception(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """S0.3: a damaged database reaches the core as a problem record with its path."""
    real_small.db.write_bytes(b"nope" * 2000)
    (listing,) = dispatcher.list_rows(_context(real_small), ListRequest(profile="default"),
                                      enabled=lambda name: True)
    assert listing.rows == () and listing.problems[0].path == str(real_small.db)


def test_load_session_opens_the_stitched_chain(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """S3.18, S8.1: loading a session that has a parent row gives its stitched transcript."""
    session, source = dispatcher.load_session(_context(real_small), TIP, metadata_only=False)
    assert source.name == "agent_state_db"
    assert isinstance(session, Session)
    assert len(session.messages) == 16
    assert session.read_only is True and session.is_cli_session is True
    assert session.title == "Fix flaky payment test"
    assert session.source_tag == "cli" and session.session_source == "cli"
    assert session.profile == "default"
    middle, _ = dispatcher.load_session(_context(real_small), MIDDLE, metadata_only=False)
    assert len(middle.messages) == 13


def test_metadata_only_load_is_partial(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """S1.15, S2.15: a metadata-only load reports recorded counts and refuses to save."""
    session, _ = dispatcher.load_session(_context(real_small), TIP, metadata_only=True)
    assert session.is_partial and session.messages == []
    row = session.compact()
    assert row["message_count"] == 3 and row["user_message_count"] >= 1
    with pytest.raises(PartialSessionSaveError):
        session.save()


def test_unknown_id_is_not_found(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """Load returns None for ids outside the store, so the dispatcher raises SessionNotFound."""
    with pytest.raises(SessionNotFound):
        dispatcher.load_session(_context(real_small), "20990101_000000_ffffff", metadata_only=False)
    assert dispatcher.read_messages(_context(real_small), "20990101_000000_ffffff") is None


def test_read_messages_with_limit(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """S3.18: read_messages gives the stitched transcript, windowed to the newest messages."""
    full = dispatcher.read_messages(_context(real_small), TIP)
    assert isinstance(full, Transcript) and full.total_count == 16 and not full.truncated
    tail = dispatcher.read_messages(_context(real_small), TIP, limit=4)
    assert tail.messages == full.messages[-4:] and tail.truncated and tail.total_count == 16


def test_lineage_metadata_hook(dispatcher: Dispatcher, real_small: AgentHome) -> None:
    """S6.11: lineage for a profile's ids comes from that profile's store."""
    merged, problems = dispatcher.lineage_metadata(
        _context(real_small), "default", frozenset({TIP, HEAD, "unknown_id"})
    )
    assert problems == []
    assert merged == {TIP: {"parent_session_id": MIDDLE, "_lineage_root_id": HEAD,
                            "_compression_segment_count": 3}}
