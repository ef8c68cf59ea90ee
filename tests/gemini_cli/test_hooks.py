"""The hooks through a store: rows, sessions (full and metadata-only), transcripts, and roots
on another machine (a local folder labelled ``laptop``) scoped by machine."""

from __future__ import annotations

import shutil

import hermes_sessions_gemini_cli
import pytest

from hermes_sessions_core.errors import PartialSessionSaveError, ReadOnlySessionError
from hermes_sessions_core.hookspecs import ListRequest
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.store import SessionStore
from hermes_sessions_core.testing.fixtures import isolated_locations

from .conftest import FIXTURES, JSON_NATIVE, JSONL_NATIVE

ROW_ID = f"gemini_cli_{JSONL_NATIVE}"


def _store(tmp_path, settings):
    manager = make_plugin_manager(builtins=(), entry_points=False, environ={},
                                  extra_plugins=[("gemini_cli", hermes_sessions_gemini_cli)])
    return SessionStore(isolated_locations(tmp_path), plugin_manager=manager, settings=settings)


def test_source_info():
    """The source describes itself: name, label, prefix, read-only, priority after claude_code."""
    info = hermes_sessions_gemini_cli.hermes_sessions_source_info()
    assert (info.name, info.label, info.id_prefixes, info.writable) == (
        "gemini_cli", "Gemini CLI", ("gemini_cli_",), False)
    assert 61 <= info.priority <= 63


def test_store_lists_opens_and_refuses_to_save(real_home, tmp_path):
    """Through a store the chats list and open whole, read-only: a save is refused."""
    store = _store(tmp_path, {"gemini_cli": {"home": str(real_home.home)}})
    listing = store.list_sessions(all_profiles=True, include_archived=True, include_cron=True)
    assert ROW_ID in {row.session_id for row in listing.rows}
    session = store.get(ROW_ID)
    assert session.read_only and len(session.messages) == 22
    with pytest.raises((ReadOnlySessionError, PartialSessionSaveError)):
        store.save(session)


def test_metadata_only_load_is_partial_with_recorded_counts(real_home, context_for):
    """A metadata-only load has no messages, is partial and reports the exact counts."""
    context = context_for(real_home.home)
    light = hermes_sessions_gemini_cli.hermes_sessions_load_session(context, ROW_ID, True)
    assert light is not None and light.is_partial and light.messages == []
    assert light.message_count == 22 and light.compact()["user_message_count"] == 2


def test_roots_on_another_machine_are_scoped(real_home, context_for, tmp_path):
    """A second root labelled 'laptop' (a local folder standing for that machine): its rows
    carry the machine and ids <prefix>laptop__<native>; they open by that id."""
    laptop = tmp_path / "laptop-gemini" / "tmp"
    shutil.copytree(FIXTURES / "tmp", laptop)
    context = context_for(real_home.home, roots=[{"url": str(laptop), "machine": "laptop"}])
    listing = hermes_sessions_gemini_cli.hermes_sessions_list_rows(
        context, ListRequest(profile="default"))
    ids = {row.session_id: row for row in listing.rows}
    scoped = f"gemini_cli_laptop__{JSON_NATIVE}"
    assert f"gemini_cli_{JSON_NATIVE}" in ids and scoped in ids
    assert ids[scoped]["machine"] == "laptop" and "machine" not in ids[f"gemini_cli_{JSON_NATIVE}"]
    transcript = hermes_sessions_gemini_cli.hermes_sessions_read_messages(context, scoped, None)
    assert transcript is not None and transcript.session_id == scoped
    session = hermes_sessions_gemini_cli.hermes_sessions_load_session(context, scoped, False)
    assert session is not None and session.session_id == scoped
