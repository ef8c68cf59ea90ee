"""The save path's kept-descriptor file lock: it excludes other processes (and FileLock users
of the same file), counts holders, follows a replaced lock file and survives a fork."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from filelock import FileLock, Timeout
from hermes_sessions_json_fs.file_lock import KeptFileLock


def _free_for_others(path: Path) -> bool:
    """Whether another open of the file at ``path`` (another process's view) can lock it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # drops the lock if taken
    return True


def test_it_excludes_other_opens_and_filelock_users(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "00.lock"  # its folder is made on first use
    lock = KeptFileLock(str(path))
    with lock:
        assert not _free_for_others(path)
        with pytest.raises(Timeout):
            FileLock(str(path), thread_local=False).acquire(timeout=0)
    assert _free_for_others(path)
    with FileLock(str(path), thread_local=False):
        assert not _free_for_others(path)
    lock.close()


def test_holders_are_counted_like_a_shared_filelock(tmp_path: Path) -> None:
    path = tmp_path / "a.lock"
    lock = KeptFileLock(str(path))
    lock.acquire()
    lock.acquire()
    lock.release()
    assert lock.is_locked and not _free_for_others(path)
    lock.release()
    assert not lock.is_locked and _free_for_others(path)
    lock.close()


@pytest.mark.parametrize("change", ["removed", "replaced"])
def test_a_lock_file_removed_or_replaced_is_reopened(tmp_path: Path, change: str) -> None:
    path = tmp_path / "a.lock"
    lock = KeptFileLock(str(path))
    with lock:
        pass
    path.unlink()
    if change == "replaced":
        path.write_bytes(b"")
    with lock:
        assert not _free_for_others(path)
    lock.close()


def test_a_forked_child_locks_with_its_own_descriptor(tmp_path: Path) -> None:
    """The child's lock must exclude the parent: sharing the inherited open file would not."""
    path = tmp_path / "a.lock"
    lock = KeptFileLock(str(path))
    with lock:
        pass  # the parent keeps an open descriptor
    ready_read, ready_write = os.pipe()
    done_read, done_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: take the lock, say so, hold it until told
        try:
            os.close(ready_read)
            os.close(done_write)
            lock.acquire()
            os.write(ready_write, b"x")
            os.read(done_read, 1)
            lock.release()
        finally:
            os._exit(0)
    os.close(ready_write)
    os.close(done_read)
    try:
        assert os.read(ready_read, 1) == b"x"
        kept = lock._fd  # the parent's own descriptor, kept since its first acquisition
        assert kept is not None
        with pytest.raises(BlockingIOError):
            fcntl.flock(kept, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.write(done_write, b"x")
        os.waitpid(pid, 0)
        os.close(ready_read)
        os.close(done_write)
    with lock:
        assert not _free_for_others(path)
    lock.close()
