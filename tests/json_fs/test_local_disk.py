"""Local-disk behaviour of the JSON store: atomic replace, temp files, links, odd entries."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hermes_sessions_json_fs import registry, storage

from hermes_sessions_core import (
    Locations,
    Session,
    SessionNotFound,
    SessionStore,
    StorageError,
)
from hermes_sessions_core.manager import make_plugin_manager

from .conftest import chat, original_file


@pytest.fixture
def local(tmp_path: Path):
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "webui",
        claude_projects_dir=tmp_path / "none", default_workspace=tmp_path / "ws", environ={},
    )
    store = SessionStore(locations, plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))
    yield store, locations.session_dir
    registry.forget_all()


def test_nothing_is_created_before_the_first_write(local):
    """S2.2: constructing, listing and reading create no folder."""
    store, folder = local
    store.list_sessions()
    with pytest.raises(SessionNotFound):
        store.get("abcdef123456")
    assert not folder.parent.exists()


def test_failed_replace_leaves_the_previous_file_and_no_temp(local, monkeypatch):
    """S2.3: on failure the temp file is removed, the target is unchanged, the error raised,
    and the in-memory session keeps its messages so the save can be retried."""
    store, folder = local
    session = store.new_session()
    session.messages.extend(chat(2))
    session.save()
    before = (folder / f"{session.session_id}.json").read_bytes()
    session.messages.append({"role": "user", "content": "unsaved"})

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", broken_replace)
    with pytest.raises(StorageError) as raised:
        session.save()
    assert "No space left" in str(raised.value)
    monkeypatch.undo()
    assert (folder / f"{session.session_id}.json").read_bytes() == before
    assert not [p for p in os.listdir(folder) if ".tmp." in p]
    assert len(session.messages) == 3
    session.save()
    assert json.loads((folder / f"{session.session_id}.json").read_bytes())["message_count"] == 3


def test_temp_names_never_end_in_json():
    """S2.4: `<stem>.tmp.<pid>.<tid>`, for sessions, the index and backups."""
    assert storage.temp_name("abc.json").startswith("abc.tmp.")
    assert storage.temp_name("_index.json").startswith("_index.tmp.")
    assert storage.temp_name("abc.json.bak").startswith("abc.json.bak.tmp.")
    assert not storage.temp_name("abc.json").endswith(".json")


def test_rebuild_sweeps_only_stale_temp_files(local):
    """S2.5: temp files older than an hour go at a full rebuild; fresh ones stay."""
    store, folder = local
    folder.mkdir(parents=True)
    old = folder / "abc.tmp.1.2"
    fresh = folder / "def.tmp.3.4"
    old.write_text("x")
    fresh.write_text("y")
    stale = time.time() - 7200
    os.utime(old, (stale, stale))
    store.list_sessions()
    assert not old.exists() and fresh.exists()


def test_symlink_out_of_the_store_is_never_read(local, tmp_path):
    """Bad input: a session file that is a symlink is refused, listed as a problem."""
    store, folder = local
    folder.mkdir(parents=True)
    secret = tmp_path / "secret.json"
    secret.write_bytes(original_file("linkedlink01", chat(1), title="secret"))
    (folder / "linkedlink01.json").symlink_to(secret)
    listing = store.list_sessions()
    assert listing.rows == ()
    assert any("symlink" in p.message for p in listing.problems)
    with pytest.raises(Exception) as raised:
        store.get("linkedlink01")
    assert "symlink" in str(raised.value)


def test_a_directory_named_like_a_session_is_skipped(local):
    """Bad input: `<id>.json` that is a directory is reported, not loaded, not fatal."""
    store, folder = local
    (folder / "dirdirdir001.json").mkdir(parents=True)
    good = Session(session_id="goodgood0001", title="good", messages=chat(1))
    store.save(good)
    listing = store.list_sessions()
    assert [r["session_id"] for r in listing.rows] == ["goodgood0001"]
    assert listing.problems


def test_empty_workspace_is_never_the_process_cwd(local, tmp_path, monkeypatch):
    """S1.8, S8.7: an empty workspace takes the default workspace, not os.getcwd()."""
    store, folder = local
    monkeypatch.chdir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "emptyws00001.json").write_bytes(original_file("emptyws00001", chat(1), workspace=""))
    session = store.get("emptyws00001")
    assert session.workspace == str((tmp_path / "ws").resolve())
    assert session.workspace != os.getcwd()


def test_store_files_are_never_sessions(local):
    """S2.1: names starting with '_' are store files: never listed, loaded or indexed."""
    store, folder = local
    folder.mkdir(parents=True)
    (folder / "_secret.json").write_bytes(original_file("_secret", chat(1)))
    assert store.list_sessions().rows == ()
    with pytest.raises(SessionNotFound):
        store.get("_secret")


def test_a_reused_inode_does_not_pass_for_our_version(local, monkeypatch):
    """S2.8, S2.10: a freed inode can be reused by another writer's file of the same size in
    the same coarse timestamp tick; the metadata prefix tells the versions apart, so a stale
    row is never written over the newer save's row."""
    store, folder = local
    session = Session(session_id="reused000001", title="mine", messages=chat(2))
    store.save(session)
    files = registry.session_files_for(store.context())
    ours = session.to_record()
    token = files.folder.version("reused000001.json")
    assert files._is_our_version("reused000001.json", token, ours)
    theirs = Session(session_id="reused000001", title="theirs", messages=chat(2))
    store.save(theirs)
    monkeypatch.setattr(type(files.folder), "version", lambda self, name: token)
    assert not files._is_our_version("reused000001.json", token, ours)


def test_only_valid_ids_are_taken_from_file_names(local):
    """S1.2, S2.1: file names that are not valid ids (upper case, store files, a newline inside
    the name, a bare `.json`) are never sessions, whether or not the others are all valid."""
    store, folder = local
    folder.mkdir(parents=True)
    files = registry.session_files_for(store.context())
    for name in ("good0000001.json", "also-good.json"):
        (folder / name).write_text("{}")
    assert files.session_ids_on_storage() == {"good0000001", "also-good"}
    for name in ("Upper.json", "_index.json", "a\nb.json", ".json", "x.json.bak", "y.tmp.1.2"):
        (folder / name).write_text("{}")
    assert files.session_ids_on_storage() == {"good0000001", "also-good"}


def test_closing_a_store_whose_storage_is_gone_logs_and_never_raises(local, monkeypatch, caplog):
    """A dropped connection at shutdown (SFTP) must not turn a clean close into an error."""
    store, _ = local
    session = store.new_session()
    session.messages.extend(chat(1))
    session.save()
    files = registry.session_files_for(store.context())

    def unreachable(self, subfolder=""):
        raise StorageError("could not list sftp://host/x: connection lost", path="x")

    monkeypatch.setattr(type(files.folder), "names", unreachable)
    store.close()
    assert "could not fold" in caplog.text
