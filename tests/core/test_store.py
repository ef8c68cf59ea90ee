"""The in-memory store on top of the sources: cache, locks, repair, routing (S2.28-S2.39)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import (
    Locations,
    ReadOnlySessionError,
    Session,
    SessionNotFound,
    SessionStore,
    SourceInfo,
    hookimpl,
)
from hermes_sessions_core.hookspecs import AgentTranscript
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.pending_repair import ERROR_MARKER

from .fakes import AgentLikeSource, MalformedSource, RaisingSource, ReadOnlySource, row


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    return Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "none", default_workspace=tmp_path / "ws", environ={},
    )


@pytest.fixture
def make_store(locations):
    made = []

    def build(*extra, **kwargs):
        manager = make_plugin_manager(builtins=["json_fs"], entry_points=False,
                                      extra_plugins=[(getattr(p, "name", type(p).__name__), p) for p in extra])
        store = SessionStore(locations, plugin_manager=manager, **kwargs)
        made.append(store)
        return store

    yield build
    registry.forget_all()


def _content(session, text="hello"):
    session.messages.append({"role": "user", "content": text, "timestamp": time.time()})
    session.title = text
    return session


# ── cache ────────────────────────────────────────────────────────────────────────────────────


def test_lru_evicts_only_saved_idle_sessions(make_store):
    """S2.32, S8.19: unsaved, pending or streaming sessions are never evicted; the cache
    overflows instead of losing work."""
    live = {"stream-1"}
    store = make_store(cache_size=2, live_stream_ids=lambda: live)
    unsaved = store.new_session()
    streaming = _content(store.new_session())
    streaming.active_stream_id = "stream-1"
    streaming.save()
    pending = store.new_session()
    pending.pending_user_message = "wait"
    saved = [_content(store.new_session(), f"s{i}") for i in range(3)]
    for session in saved:
        session.save()
    cached = store.cached_ids()
    assert unsaved.session_id in cached and pending.session_id in cached
    assert streaming.session_id in cached
    assert saved[0].session_id not in cached
    assert store.get(unsaved.session_id) is unsaved


def test_cache_size_is_configurable_and_lru_ordered(make_store):
    """S2.32: the least recently used saved session goes first."""
    store = make_store(cache_size=2)
    a, b, c = (_content(store.new_session(), t) for t in "abc")
    for s in (a, b):
        s.save()
    store.get(a.session_id)  # touch a
    c.save()
    assert set(store.cached_ids()) == {a.session_id, c.session_id}


def test_session_locks_are_per_session_and_non_reentrant(make_store):
    """S2.33."""
    store = make_store()
    lock = store.session_lock("abc")
    assert store.session_lock("abc") is lock and store.session_lock("def") is not lock
    assert lock.acquire(blocking=False)
    assert not lock.acquire(blocking=False)
    lock.release()


def test_get_raises_typed_errors(make_store, locations):
    """S2.34: not found for missing and malformed ids; unreadable names the path."""
    store = make_store()
    with pytest.raises(SessionNotFound):
        store.get("missing12345")
    with pytest.raises(KeyError):  # the original raised KeyError
        store.get("../x")
    locations.session_dir.mkdir(parents=True)
    (locations.session_dir / "broken123456.json").write_text("{")
    with pytest.raises(Exception) as raised:
        store.get("broken123456")
    assert str(locations.session_dir / "broken123456.json") in str(raised.value)
    assert "JSONDecodeError" not in type(raised.value).__name__


# ── stale pending turns ──────────────────────────────────────────────────────────────────────


def _stale_file(locations, session_id, *, messages, started, stream="dead-stream", profile=None):
    locations.session_dir.mkdir(parents=True, exist_ok=True)
    session = Session(session_id=session_id, title="t", messages=messages, profile=profile,
                      pending_user_message="  please   continue ", pending_started_at=started,
                      active_stream_id=stream, pending_attachments=["a.png"],
                      _default_workspace="/tmp")
    (locations.session_dir / f"{session_id}.json").write_text(json.dumps(session.to_record()))


def test_stale_turn_on_empty_transcript_restores_prompt_and_marker(make_store, locations):
    """S2.36, S2.38: older than 30 s, stream dead: the prompt returns as a recovered user
    message at its send time, followed by one error marker; pending state cleared and saved."""
    _stale_file(locations, "stale0000001", messages=[], started=time.time() - 100)
    session = make_store().get("stale0000001")
    assert [m["role"] for m in session.messages] == ["user", "assistant"]
    assert session.messages[0]["_recovered"] is True
    assert session.messages[0]["attachments"] == ["a.png"]
    assert session.messages[0]["timestamp"] == int(session.messages[0]["timestamp"])
    assert session.messages[1] == {**session.messages[1], "content": ERROR_MARKER, "_error": True}
    assert session.pending_user_message is None and session.active_stream_id is None
    on_disk = json.loads((locations.session_dir / "stale0000001.json").read_text())
    assert on_disk["message_count"] == 2 and on_disk["pending_user_message"] is None


def test_young_or_live_turns_wait(make_store, locations):
    """S2.36: inside the grace window, or while the stream is live, nothing is repaired."""
    _stale_file(locations, "young0000001", messages=[], started=time.time() - 5)
    _stale_file(locations, "alive0000001", messages=[], started=time.time() - 100, stream="live")
    store = make_store(live_stream_ids=lambda: {"live"})
    assert store.get("young0000001").messages == []
    assert store.get("alive0000001").messages == []


def test_core_transcript_is_adopted_when_present(locations):
    """S2.38: the agent's sessions/session_<id>.json messages and tokens are taken, read by
    the agent store's plugin (the store itself opens no file)."""
    core = locations.core_transcript("core00000001")
    core.parent.mkdir(parents=True)
    core.write_text(json.dumps({"messages": [{"role": "user", "content": "q"},
                                             {"role": "assistant", "content": "a"}],
                                "input_tokens": 7}))
    _stale_file(locations, "core00000001", messages=[], started=0)
    manager = make_plugin_manager(builtins=["json_fs", "agent_state_db"], entry_points=False)
    with SessionStore(locations, plugin_manager=manager) as store:
        session = store.get("core00000001")
    assert [m["content"] for m in session.messages] == ["q", "a"]
    assert session.input_tokens == 7 and session.pending_user_message is None


class _TranscriptSource:
    """A source answering only hermes_sessions_agent_transcript, with a given answer."""

    def __init__(self, name, answer, priority=60):
        self.name = name
        self.answer = answer
        self.priority = priority
        self.asked = []

    @hookimpl
    def hermes_sessions_source_info(self):
        return SourceInfo(name=self.name, label=self.name, writable=False, priority=self.priority)

    @hookimpl
    def hermes_sessions_agent_transcript(self, profile, session_id):
        self.asked.append((profile, session_id))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_agent_transcript_is_asked_through_the_dispatcher(make_store, locations):
    """S2.38, S2.39: repair asks the hook with the session's profile; a raising source and a
    malformed answer are reported and skipped, the next source's record is adopted."""
    good = AgentTranscript(({"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}),
                           tool_calls=({"id": "t1"},), output_tokens=3)
    broken = _TranscriptSource("broken", RuntimeError("disk on fire"), priority=61)
    malformed = _TranscriptSource("malformed", {"messages": [{"role": "user"}]}, priority=62)
    answering = _TranscriptSource("answering", good, priority=63)
    _stale_file(locations, "hook00000001", messages=[], started=0, profile="work")
    store = make_store(broken, malformed, answering)
    session = store.get("hook00000001")
    assert [m["content"] for m in session.messages] == ["q", "a"]
    assert session.tool_calls == [{"id": "t1"}] and session.output_tokens == 3
    assert answering.asked == [("work", "hook00000001")] == broken.asked == malformed.asked
    assert {(p.source, p.hook) for p in store.problems} == {
        ("broken", "hermes_sessions_agent_transcript"),
        ("malformed", "hermes_sessions_agent_transcript"),
    }


def test_without_an_agent_record_the_prompt_is_restored(make_store, locations):
    """S2.38: no source keeps a record (or its record has no messages, or the profile name is
    invalid): the pending prompt returns with one error marker, and nothing is raised."""
    empty = _TranscriptSource("empty", None)
    _stale_file(locations, "none00000001", messages=[], started=0)
    _stale_file(locations, "bad000000001", messages=[], started=0, profile="Not Valid")
    store = make_store(empty)
    for session_id in ("none00000001", "bad000000001"):
        session = store.get(session_id)
        assert [m["role"] for m in session.messages] == ["user", "assistant"]
        assert session.messages[1]["content"] == ERROR_MARKER
    assert empty.asked == [("default", "none00000001")]  # an invalid profile is never asked
    assert store.problems == []


def test_a_skipped_repair_never_reads_the_agent_record(make_store, locations):
    """S2.37, S2.39: the record is asked only under the lock and only for an empty session."""
    source = _TranscriptSource("agentish", None)
    _stale_file(locations, "skip00000001", messages=[], started=0)
    _stale_file(locations, "full00000001", messages=[{"role": "user", "content": "x"}], started=0)
    store = make_store(source)
    with store.session_lock("skip00000001"):
        store.get("skip00000001")
    store.get("full00000001")
    assert source.asked == []


def test_non_empty_transcript_is_never_replaced(make_store, locations):
    """S2.39: the prompt is appended unless already last (whitespace-collapsed); one marker."""
    history = [{"role": "assistant", "content": "earlier"}, {"role": "user", "content": "please continue"}]
    _stale_file(locations, "kept00000001", messages=history, started=None)
    session = make_store().get("kept00000001")
    assert [m["content"] for m in session.messages] == ["earlier", "please continue", ERROR_MARKER]


def test_repair_is_skipped_when_the_lock_is_held_and_not_cached(make_store, locations):
    """S2.37, S8.21: a held lock skips repair, and the stale object is not cached."""
    _stale_file(locations, "locked000001", messages=[], started=0)
    store = make_store()
    lock = store.session_lock("locked000001")
    with lock:
        session = store.get("locked000001")
        assert session.messages == [] and session.pending_user_message
        assert "locked000001" not in store.cached_ids()
    assert len(store.get("locked000001").messages) == 2


# ── sources ──────────────────────────────────────────────────────────────────────────────────


def test_read_only_sessions_cannot_be_saved_or_deleted(make_store):
    """S1.17: saving, changing or deleting a read-only session raises naming session and source."""
    source = ReadOnlySource([row("ro_1")])
    store = make_store(source)
    session = store.get("ro_1")
    assert session.read_only
    with pytest.raises(ReadOnlySessionError) as raised:
        session.save()
    assert "ro_1" in str(raised.value)
    with pytest.raises(ReadOnlySessionError):
        store.delete("ro_1")
    with pytest.raises(ReadOnlySessionError):
        store.update("ro_1", title="x")
    assert store.read_messages("ro_1").messages == ({"role": "user", "content": "hi"},)


def test_archiving_an_agent_only_session_writes_a_metadata_file(make_store, locations):
    """S2.27: archiving an agent session with no Web UI file writes a metadata-only file."""
    agent = AgentLikeSource([row("20261123_a", session_source="messaging", source_tag="telegram")])
    store = make_store(agent)
    store.update("20261123_a", archived=True)
    record = json.loads((locations.session_dir / "20261123_a.json").read_text())
    assert record["archived"] is True and record["messages"] == []
    assert store.get("20261123_a").archived is True


def test_a_raising_source_never_takes_the_sidebar_down(make_store, caplog):
    """S0.3, S6.14: its rows are missing, one problem is reported and logged once."""
    store = make_store(RaisingSource(), ReadOnlySource([row("ro_1")]))
    _content(store.new_session(), "web").save()
    for _ in range(3):
        listing = store.list_sessions()
        titles = sorted(r["title"] for r in listing.rows)
        assert titles == ["title ro_1", "web"]
        assert [p.source for p in listing.problems] == ["RaisingSource"]
    assert "database is on fire" in listing.problems[0].message
    assert sum("database is on fire" in r.getMessage() for r in caplog.records) == 1
    assert store.read_messages("boom_1") is None


def test_malformed_rows_are_dropped_and_reported(make_store):
    """Rows that are not SessionRow or have invalid ids are dropped with a problem."""
    store = make_store(MalformedSource())
    listing = store.list_sessions()
    assert [r["session_id"] for r in listing.rows] == ["mal_ok"]
    assert any("malformed row" in p.message for p in listing.problems)


def test_disabled_sources_are_not_asked(make_store):
    """S6.1: each non-Web-UI source has its own switch."""
    source = ReadOnlySource([row("ro_1")])
    store = make_store(source, enabled_sources={"readonly": False})
    assert store.list_sessions().rows == ()
    assert source.list_calls == 0


def test_lineage_enrichment_goes_through_the_hook(make_store):
    """S6.11: Web UI rows receive lineage keys from the agent source of their profile."""
    agent = AgentLikeSource([], lineage={})
    store = make_store(agent)
    web = _content(store.new_session(), "web")
    web.save()
    agent.lineage[web.session_id] = {"_lineage_root_id": "root1"}
    (listed,) = store.list_sessions().rows
    assert listed["_lineage_root_id"] == "root1"
    assert agent.lineage_calls[-1] == ("default", frozenset({web.session_id}))


def test_new_session_defaults(make_store, locations, tmp_path):
    """S2.31: explicit profile or active one; model from the environment chain; workspace
    from the last workspace only if it still exists, else the default."""
    (tmp_path / "last").mkdir()
    store = make_store(last_workspace=lambda profile: str(tmp_path / "last") if profile == "work" else "/gone",
                       configured_model=lambda: {"model": {"default": "cfg-model"}})
    session = store.new_session(profile="work")
    assert session.profile == "work" and session.model == "cfg-model"
    assert session.workspace == str((tmp_path / "last").resolve())
    other = store.new_session()
    assert other.profile == "default" and other.workspace == str((tmp_path / "ws").resolve())


def test_save_modes_never_write_an_empty_session(make_store, locations):
    """S2.29: deferred keeps the turn pending with no messages; eager also stores the user
    message; neither writes without content."""
    store = make_store()
    empty = store.new_session()
    assert store.checkpoint_first_turn(empty, "   ") is False
    assert not locations.session_dir.exists()
    deferred = store.new_session()
    store.checkpoint_first_turn(deferred, "hi", stream_id="s")
    on_disk = json.loads((locations.session_dir / f"{deferred.session_id}.json").read_text())
    assert on_disk["messages"] == [] and on_disk["pending_user_message"] == "hi"
    eager = store.new_session()
    store.checkpoint_first_turn(eager, "hi", attachments=["f"], mode="eager")
    on_disk = json.loads((locations.session_dir / f"{eager.session_id}.json").read_text())
    assert on_disk["messages"][0]["content"] == "hi" and on_disk["messages"][0]["attachments"] == ["f"]


def test_in_memory_sessions_overlay_the_listing(make_store):
    """S2.35: unsaved sessions with a pending turn appear; is_streaming follows live streams."""
    store = make_store(live_stream_ids=lambda: {"s1"})
    session = store.new_session()
    session.pending_user_message = "typing"
    session.active_stream_id = "s1"
    (listed,) = store.list_sessions().rows
    assert listed["session_id"] == session.session_id and listed["is_streaming"] is True


def test_concurrent_gets_and_saves_do_not_deadlock(make_store):
    """S2.10, S2.33: index I/O and saves never run under the cache lock."""
    store = make_store(cache_size=3)
    sessions = [_content(store.new_session(), f"t{i}") for i in range(6)]
    errors = []

    def work(session):
        try:
            for _ in range(5):
                session.save()
                store.get(session.session_id)
                store.list_sessions()
        except Exception as error:  # pragma: no cover - reported by the assertion
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert len(store.list_sessions().rows) == 6


def test_built_in_sources_run_in_the_calling_thread(make_store, monkeypatch):
    """Only third-party read hooks get a bounded worker thread; built-ins run inline, so a
    metadata read costs no thread start."""
    import hermes_sessions_core.dispatch as dispatch_module

    store = make_store()
    session = _content(store.new_session(), "inline")
    session.save()
    started = []
    real_thread = dispatch_module.threading.Thread

    def counting_thread(*args, **kwargs):
        started.append(kwargs.get("name"))
        return real_thread(*args, **kwargs)

    monkeypatch.setattr(dispatch_module.threading, "Thread", counting_thread)
    store.get(session.session_id, metadata_only=True)
    store.list_sessions()
    assert started == []
