"""Atomic replacement of local files (S2.3, S2.4)."""

from __future__ import annotations

import os

import pytest

from hermes_sessions_core import atomic


def test_replaces_whole_and_creates_the_folder_on_first_write(tmp_path):
    target = tmp_path / "new" / "projects.json"
    written = atomic.write_file_atomically(target, b"[1]")
    assert target.read_bytes() == b"[1]"
    assert (written.st_ino, written.st_size) == (os.stat(target).st_ino, 3)
    atomic.write_file_atomically(target, b"[1, 2]")
    assert target.read_bytes() == b"[1, 2]"
    assert os.listdir(target.parent) == ["projects.json"]


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError):
        atomic.write_file_atomically(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.json"]


def test_temp_names_are_per_process_and_thread_and_never_json():
    name = atomic.temp_name("abc.json")
    assert name.startswith("abc.tmp.") and not name.endswith(".json")
    assert str(os.getpid()) in name


def test_a_private_file_stays_private_and_a_planted_temp_is_not_written_through(tmp_path):
    """A file the user made 0600 keeps its mode; a symlink planted at the temp name is
    replaced, never followed."""
    import os

    from hermes_sessions_core.atomic import temp_name, write_file_atomically

    target = tmp_path / "s.json"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    os.symlink(victim, tmp_path / temp_name("s.json"))
    write_file_atomically(target, b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o600
    assert victim.read_bytes() == b"keep"
